package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/notify"
	"github.com/ferryhq/ferry/internal/store"
)

// DeliveryStore is the notification outbox as the API shows it.
type DeliveryStore interface {
	ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error)
	Redeliver(ctx context.Context, id string, now time.Time) (store.Delivery, error)
}

// listDeliveries: GET /api/v1/deliveries[?state=dead&limit=50].
func (s *Server) listDeliveries(c *gin.Context) {
	state := c.Query("state")
	switch state {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead:
	default:
		_ = c.Error(fieldError("state", "%q is not pending, delivered or dead", state))
		return
	}
	limit := 0
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			_ = c.Error(fieldError("limit", "%q is not a number from 1 to 500", l))
			return
		}
		limit = n
	}
	out := api.DeliveryList{Items: []api.Delivery{}}
	if s.deliveries != nil {
		ds, err := s.deliveries.ListDeliveries(c.Request.Context(), store.DeliveryFilter{State: state, Limit: limit})
		if err != nil {
			_ = c.Error(err)
			return
		}
		for _, d := range ds {
			out.Items = append(out.Items, toDelivery(d))
		}
	}
	c.JSON(http.StatusOK, out)
}

// redeliver: POST /api/v1/deliveries/{id}/redeliver sends a delivery
// again, with the same id, from its first attempt.
func (s *Server) redeliver(c *gin.Context) {
	if s.deliveries == nil {
		_ = c.Error(notFound(derrors.ErrNotFound, "delivery", c.Param("id")))
		return
	}
	d, err := s.deliveries.Redeliver(c.Request.Context(), c.Param("id"), s.now())
	if err != nil {
		_ = c.Error(notFound(err, "delivery", c.Param("id")))
		return
	}
	c.JSON(http.StatusAccepted, toDelivery(d))
}

func toDelivery(d store.Delivery) api.Delivery {
	return api.Delivery{
		ID: d.ID, EventID: d.Event.ID, Event: notify.EventName(d.Event.Kind), PromotionID: d.Event.PromotionID,
		Application: d.Event.Application, Environment: d.Event.Environment, Destination: d.Destination,
		State: d.State, Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastError: d.LastError,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

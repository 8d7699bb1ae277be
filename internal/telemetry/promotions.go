package telemetry

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferryhq/ferry/internal/store"
)

// StatsReader is the store as the promotion gauges read it.
type StatsReader interface {
	PromotionStats(ctx context.Context, now time.Time) (store.PromotionStats, error)
}

// statsTTL is how long one read of the store serves scrapes: the counts
// scan the promotions table, and several Prometheus servers (or a human
// with curl) scraping at once must not multiply that.
const statsTTL = 10 * time.Second

// statsTimeout bounds one read, well within a scrape's usual 10s timeout.
const statsTimeout = 5 * time.Second

// promotionCollector exports the promotion gauges from the store at scrape
// time, so every replica reports the same shared truth rather than what it
// alone has seen.
type promotionCollector struct {
	store StatsReader
	now   func() time.Time

	byState    *prometheus.Desc
	queue      *prometheus.Desc
	oldestDue  *prometheus.Desc
	inState    *prometheus.Desc
	readErrors prometheus.Counter

	mu     sync.Mutex
	cached store.PromotionStats
	readAt time.Time
}

// RegisterPromotions exports the promotion gauges read from s on reg.
// Environment names come from the pipelines, so the label set is bounded
// by configuration, and the states by the state machine.
func RegisterPromotions(reg prometheus.Registerer, s StatsReader) {
	c := &promotionCollector{
		store: s, now: time.Now,
		byState: prometheus.NewDesc("ferry_promotions",
			"Promotions by state and environment.", []string{"state", "environment"}, nil),
		queue: prometheus.NewDesc("ferry_promotion_queue_depth",
			"Active promotions (pending, waiting, pr-open) due now and not held by a worker.", nil, nil),
		oldestDue: prometheus.NewDesc("ferry_promotion_queue_oldest_due_seconds",
			"How long the next promotion to be claimed has been due; 0 when the queue is empty.", nil, nil),
		inState: prometheus.NewDesc("ferry_promotion_time_in_state_seconds",
			"Per active state, how long the promotion longest in it has been there.", []string{"state"}, nil),
		readErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ferry_promotion_stats_read_failures_total",
			Help: "Reads of the promotion gauges from the store that failed; the gauges are then missing from that scrape.",
		}),
	}
	reg.MustRegister(c, c.readErrors)
}

func (c *promotionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.byState
	ch <- c.queue
	ch <- c.oldestDue
	ch <- c.inState
}

func (c *promotionCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	st, ok := c.read(now)
	if !ok {
		return
	}
	for _, sc := range st.Counts {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(sc.Count), string(sc.State), sc.Environment)
	}
	ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(st.Due))
	oldest := 0.0
	if !st.OldestDueSince.IsZero() {
		oldest = max(now.Sub(st.OldestDueSince).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.oldestDue, prometheus.GaugeValue, oldest)
	for _, s := range store.ActiveStates {
		v := 0.0
		if at, ok := st.InStateSince[s]; ok {
			v = max(now.Sub(at).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.inState, prometheus.GaugeValue, v, string(s))
	}
}

// read returns the stats of the last statsTTL, reading the store when they
// are older.
func (c *promotionCollector) read(now time.Time) (store.PromotionStats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readAt.IsZero() && now.Sub(c.readAt) < statsTTL {
		return c.cached, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	st, err := c.store.PromotionStats(ctx, now)
	if err != nil {
		c.readErrors.Inc()
		return store.PromotionStats{}, false
	}
	c.cached, c.readAt = st, now
	return st, true
}

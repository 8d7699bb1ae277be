package github

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// fail turns a go-github error into a domain error saying what was being done.
func fail(err error, format string, args ...any) error {
	doing := fmt.Sprintf(format, args...)
	var (
		er    *gh.ErrorResponse
		limit *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
	)
	switch {
	case errors.As(err, &limit):
		e := derrors.Wrap(err, derrors.RateLimited, "scm_rate_limited", "%s: GitHub's rate limit is spent", doing)
		e.RetryAfter = max(time.Until(limit.Rate.Reset.Time), time.Second)
		return e
	case errors.As(err, &abuse):
		e := derrors.Wrap(err, derrors.RateLimited, "scm_rate_limited", "%s: GitHub's secondary rate limit", doing)
		e.RetryAfter = abuse.GetRetryAfter()
		if e.RetryAfter <= 0 {
			e.RetryAfter = time.Minute
		}
		return e
	case errors.As(err, &er) && er.Response != nil:
		switch er.Response.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
		case http.StatusConflict:
			return derrors.Wrap(err, derrors.Conflict, "scm_conflict", "%s: %s", doing, er.Message)
		case http.StatusMethodNotAllowed:
			return derrors.Wrap(err, derrors.Conflict, "pr_not_mergeable", "%s: %s", doing, er.Message)
		case http.StatusUnprocessableEntity:
			return derrors.Wrap(err, derrors.Unprocessable, "scm_rejected", "%s: %s", doing, validation(er))
		}
	}
	return outbound.Error(err, "%s", doing)
}

// validation renders GitHub's {"message":"Validation Failed","errors":[…]}.
func validation(er *gh.ErrorResponse) string {
	msg := er.Message
	for _, e := range er.Errors {
		switch {
		case e.Message != "":
			msg += "; " + e.Message
		case e.Code != "":
			msg += fmt.Sprintf("; %s %s %s", e.Resource, e.Field, e.Code)
		}
	}
	return msg
}

package telemetry

import (
	"net/http"
	"strconv"
	"time"
)

// ObserveGit implements gitrepo.Observer.
func (r *Recorder) ObserveGit(op string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
		r.gitFailures.WithLabelValues(op).Inc()
	}
	r.gitDuration.WithLabelValues(op, result).Observe(d.Seconds())
}

// ObserveSCMRequest implements outbound.Observer.
func (r *Recorder) ObserveSCMRequest(host, operation, result string, d time.Duration) {
	r.scmRequests.WithLabelValues(host, operation, result).Observe(d.Seconds())
}

// ObserveSCMRateLimitWait implements outbound.Observer.
func (r *Recorder) ObserveSCMRateLimitWait(host, reason string, d time.Duration) {
	r.scmWaits.WithLabelValues(host, reason).Inc()
	r.scmWaitSeconds.WithLabelValues(host, reason).Add(d.Seconds())
}

// ObserveWebhook counts a webhook delivery received from source ("build"
// or "scm") with its result ("accepted" or the problem code).
func (r *Recorder) ObserveWebhook(source, result string) {
	r.webhooksIn.WithLabelValues(source, result).Inc()
}

// ObserveDelivery implements notify.Observer.
func (r *Recorder) ObserveDelivery(channel, result string) {
	r.deliveriesOut.WithLabelValues(channel, result).Inc()
}

// RegistryTransport wraps base (nil: http.DefaultTransport) so every
// request to an image registry is timed and counted by status code. It
// goes under the registry allowlist's guard, so it sees only requests that
// are sent.
func (r *Recorder) RegistryTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := base.RoundTrip(req)
		code := "network"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		r.registryDur.WithLabelValues(code).Observe(time.Since(start).Seconds())
		// A 401 is the registry's auth challenge, answered by the next
		// request, not a failure.
		if err != nil || resp.StatusCode >= 400 && resp.StatusCode != http.StatusUnauthorized {
			r.registryFail.WithLabelValues(code).Inc()
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

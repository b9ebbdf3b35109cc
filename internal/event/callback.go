package event

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"node-installer/internal/retry"
)

// Callback is a URL a provisioning system wants fetched once a run has
// succeeded: Foreman's built URL, Cobbler's nopxe call, oVirt Node's
// local_boot_trigger. Arg names the setting it came from.
type Callback struct {
	Arg string
	URL string
}

// CallResult is what became of one Callback.
type CallResult struct {
	Callback
	Status   string // the last HTTP status line, "" when nothing answered
	Attempts int
	Err      error // nil when it was answered with a 2xx
}

// String describes the result with the URL's secrets hidden. The URL
// is followed by a space: a masked query runs to the next blank.
func (r CallResult) String() string {
	s := fmt.Sprintf("%s: GET %s", r.Arg, RedactURL(r.URL))
	switch {
	case r.Err == nil:
		return fmt.Sprintf("%s answered %s", s, r.Status)
	case r.Attempts > 1:
		return fmt.Sprintf("%s not delivered after %d attempts: %s", s, r.Attempts, Redact(r.Err.Error()))
	}
	return fmt.Sprintf("%s not delivered: %s", s, Redact(r.Err.Error()))
}

// CallOptions tunes Call; the zero value is usable.
type CallOptions struct {
	// Client makes the requests (default: a 5 s timeout per request).
	Client *http.Client
	// Backoff is the schedule between attempts (default 500 ms doubling
	// to 4 s); Attempts 0 retries until ctx ends.
	Backoff retry.Backoff
}

// Call GETs every callback at once, each retried with backoff while a
// retry may help (no answer, 408, 429, 5xx; a Retry-After is honoured),
// until it is answered or ctx ends: the caller bounds the total time with
// ctx's deadline, so a down or hanging receiver delays a run by at most
// that much and never fails it.
func Call(ctx context.Context, cbs []Callback, o CallOptions) []CallResult {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Backoff.First <= 0 {
		o.Backoff.First, o.Backoff.Max = 500*time.Millisecond, 4*time.Second
	}
	res := make([]CallResult, len(cbs))
	var wg sync.WaitGroup
	for i, cb := range cbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &res[i]
			r.Callback = cb
			r.Attempts, r.Err = o.Backoff.Do(ctx, func() (bool, time.Duration, error) {
				status, again, after, err := send(ctx, o.Client, request{method: http.MethodGet, url: cb.URL})
				r.Status = status
				return again, after, err
			})
		}()
	}
	wg.Wait()
	return res
}

package event

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"node-installer/internal/retry"
)

// request is one HTTP call to a provisioning system: the webhook's
// events and the done callbacks go out through it.
type request struct {
	method string
	url    string
	header map[string]string
	body   []byte
}

// send makes one attempt; again tells whether another attempt may help
// (no answer, a timeout, a 408, a 429 or a 5xx), and retryAfter is the
// wait a 429 or 503 asked for with Retry-After (0 when none).
func send(ctx context.Context, c *http.Client, r request) (status string, again bool, retryAfter time.Duration, err error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return "", false, 0, fmt.Errorf("%s request: %s", r.method, Redact(err.Error()))
	}
	req.Header.Set("User-Agent", "node-installer")
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", true, 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return resp.Status, false, 0, nil
	case retry.Status(code):
		return resp.Status, true, retry.After(resp.Header.Get("Retry-After"), time.Now()), fmt.Errorf("answered %s", resp.Status)
	default:
		return resp.Status, false, 0, fmt.Errorf("answered %s", resp.Status)
	}
}

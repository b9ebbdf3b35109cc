package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"node-installer/internal/retry"
)

// Remote bundles (node.media=http://... or https://...): the manifest is
// fetched and checked first, every file is checked with a HEAD request,
// and each file is then streamed once, verified by the same Reader as a
// local file. A transfer that breaks or stalls is resumed where it
// stopped with a Range request, a few times, so a PXE install of a big
// image survives a flaky link without reading anything twice.

// Remote tunes how a bundle is fetched over HTTP(S).
type Remote struct {
	Client   *http.Client  // default: a client with connect and header timeouts
	Attempts int           // tries in a row without progress, per file (default 5)
	Stall    time.Duration // a transfer with no byte for this long is retried (default 60 s)
	Backoff  time.Duration // wait before the first retry, doubled each time up to 32 x (default 1 s), with jitter
	// Busy is how long a server answering 429 or 503 (full, not broken)
	// is waited for, at its Retry-After or longer, without those answers
	// counting against Attempts (default 10 min): many nodes installing
	// from one server take turns instead of giving up.
	Busy time.Duration
}

// IsURL reports whether s names a remote bundle.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// OpenURL fetches and checks the manifest of the bundle at base (the
// bundle's directory URL, or its manifest.json's) and checks with HEAD
// requests that every file it lists is there with the listed size. All
// problems are reported at once; nothing is downloaded but the manifest
// (and its signature). Like Open it applies no signature policy.
func OpenURL(ctx context.Context, base string, rm Remote) (*Bundle, error) {
	return OpenURLTrusted(ctx, base, rm, Trust{Insecure: true})
}

// OpenURLTrusted is OpenURL under a signature policy, as OpenTrusted:
// manifest.json.sig is fetched beside the manifest (a 404 means
// unsigned) and checked before anything else is requested.
func OpenURLTrusted(ctx context.Context, base string, rm Remote, t Trust) (*Bundle, error) {
	rm = rm.withDefaults()
	u, err := url.Parse(strings.TrimSuffix(base, ManifestName))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("media bundle %s: expected an http:// or https:// URL", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	dir := u.String()
	data, err := rm.Fetch(ctx, dir+ManifestName, ManifestMax)
	if err != nil {
		return nil, fmt.Errorf("media bundle %s: %s: %w", dir, ManifestName, err)
	}
	sig, err := rm.Fetch(ctx, dir+SignatureName, SignatureMax)
	verdict, m, err := t.checkManifest(data, sig, err, IsNotFound(err))
	if err != nil {
		return nil, fmt.Errorf("media bundle %s: %w", dir, err)
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("media bundle %s: %w", dir, err)
	}
	var errs []error
	for _, f := range m.Files {
		size, err := rm.head(ctx, dir+url.PathEscape(f.Name))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %s: %w", f.Role, f.Name, err))
		case size >= 0 && size != f.Size:
			errs = append(errs, fmt.Errorf("%s %s: size %d, manifest says %d", f.Role, f.Name, size, f.Size))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("media bundle %s: %w", dir, err)
	}
	return &Bundle{URL: dir, Manifest: m, Verdict: verdict, Trusted: t.Keys, remote: rm}, nil
}

func (rm Remote) withDefaults() Remote {
	if rm.Client == nil {
		rm.Client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		}}
	}
	if rm.Attempts <= 0 {
		rm.Attempts = 5
	}
	if rm.Stall <= 0 {
		rm.Stall = 60 * time.Second
	}
	if rm.Backoff <= 0 {
		rm.Backoff = time.Second
	}
	if rm.Busy <= 0 {
		rm.Busy = 10 * time.Minute
	}
	return rm
}

// schedule is the wait between tries (internal/retry: doubling, jitter,
// Retry-After as a floor).
func (rm Remote) schedule() retry.Backoff {
	return retry.Backoff{First: rm.Backoff, Max: 32 * rm.Backoff}
}

// tries counts the tries of one request or connection that count
// against Remote.Attempts, and the waits between them.
type tries struct {
	counted   int
	waits     int           // the schedule's step
	busySince time.Time     // the first of a run of busy answers
	after     time.Duration // the last busy answer's Retry-After
}

// fail records a failed try: it counts unless it is a busy answer within
// rm.Busy of the first one.
func (t *tries) fail(rm Remote, err error) {
	var b busyError
	if !errors.As(err, &b) {
		t.busySince, t.after = time.Time{}, 0
		t.counted++
		return
	}
	if t.busySince.IsZero() {
		t.busySince = time.Now()
	}
	t.after = b.after
	if time.Since(t.busySince) >= rm.Busy {
		t.counted++
	}
}

// wait sleeps before the next try; false when ctx ended first.
func (t *tries) wait(ctx context.Context, rm Remote) bool {
	t.waits++
	return retry.Sleep(ctx, rm.schedule().Wait(t.waits, t.after))
}

// Fetch GETs a small document (at most max bytes), retrying what may pass
// (no answer, a broken transfer, a 5xx) but not a 4xx.
func (rm Remote) Fetch(ctx context.Context, u string, max int64) ([]byte, error) {
	rm = rm.withDefaults()
	var data []byte
	err := rm.retry(ctx, func() error {
		resp, err := rm.get(ctx, u, 0)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.ContentLength > max { // refused before reading a byte of it
			return statusError{msg: fmt.Sprintf("GET %s: %d bytes, larger than %d bytes", u, resp.ContentLength, max)}
		}
		if data, err = io.ReadAll(io.LimitReader(resp.Body, max+1)); err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		if int64(len(data)) > max {
			return statusError{msg: fmt.Sprintf("GET %s: larger than %d bytes", u, max)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// head returns the Content-Length of u (-1 when the server gives none),
// retrying what may pass as Fetch does.
func (rm Remote) head(ctx context.Context, u string) (int64, error) {
	size := int64(-1)
	err := rm.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
		if err != nil {
			return statusError{msg: err.Error()}
		}
		resp, err := rm.Client.Do(req)
		if err != nil {
			return fmt.Errorf("HEAD %s: %w", u, err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			size = resp.ContentLength
			return nil
		case http.StatusMethodNotAllowed, http.StatusNotImplemented:
			return nil // no HEAD here: the size is checked while streaming
		}
		return badStatus(fmt.Sprintf("HEAD %s: %s", u, resp.Status), resp)
	})
	return size, err
}

// retry calls try until it succeeds, fails for good (a statusError) or
// has failed rm.Attempts times (busy answers within rm.Busy not
// counted), waiting by rm.schedule in between.
func (rm Remote) retry(ctx context.Context, try func() error) error {
	var t tries
	for {
		err := try()
		if err == nil || permanent(err) {
			return err
		}
		if t.fail(rm, err); t.counted >= rm.Attempts {
			return err
		}
		if !t.wait(ctx, rm) {
			return ctx.Err()
		}
	}
}

// badStatus is the error of an unexpected HTTP status: worth retrying for
// a 5xx or a 429 (a 429 or 503 is a busy server, to be waited for at its
// Retry-After), final otherwise.
func badStatus(msg string, resp *http.Response) error {
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return busyError{msg: msg, after: retry.After(resp.Header.Get("Retry-After"), time.Now())}
	case retry.Status(code):
		return errors.New(msg)
	default:
		return statusError{msg, code}
	}
}

// busyError is a 429 or 503 and the wait its Retry-After asked for.
type busyError struct {
	msg   string
	after time.Duration
}

func (e busyError) Error() string { return e.msg }

// statusError is an HTTP status that retrying will not change.
type statusError struct {
	msg  string
	code int // the HTTP status, when it is one
}

// IsNotFound tells a 404 or 410 (a document that is not there) from
// other failures.
func IsNotFound(err error) bool {
	var s statusError
	return errors.As(err, &s) && (s.code == http.StatusNotFound || s.code == http.StatusGone)
}

func (e statusError) Error() string { return e.msg }

func permanent(err error) bool { var s statusError; return errors.As(err, &s) }

// get starts a GET of u from byte off: a 200 for off 0, a 206 starting at
// off otherwise.
func (rm Remote) get(ctx context.Context, u string, off int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, statusError{msg: err.Error()}
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := rm.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	want := http.StatusOK
	if off > 0 {
		want = http.StatusPartialContent
	}
	if resp.StatusCode != want {
		resp.Body.Close()
		msg := fmt.Sprintf("GET %s: %s", u, resp.Status)
		if off > 0 && resp.StatusCode == http.StatusOK {
			msg += fmt.Sprintf(" to a request for bytes %d-: the server cannot resume a transfer", off)
		}
		return nil, badStatus(msg, resp)
	}
	if off > 0 && !strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", off)) {
		resp.Body.Close()
		return nil, statusError{msg: fmt.Sprintf("GET %s: Content-Range %q does not start at byte %d", u, resp.Header.Get("Content-Range"), off)}
	}
	return resp, nil
}

// resumeProgress is what a connection must deliver for its break not to
// count against Remote.Attempts: a long download may break now and then,
// a server that breaks at once every time is given up on.
const resumeProgress = 1 << 20

// remoteFile streams one file, resuming after a broken or stalled
// transfer. Read errors it cannot get past are returned as they are.
// Close may be called from another goroutine while a Read runs (a writer
// that gave up): it only cancels, and the Read returns.
type remoteFile struct {
	ctx    context.Context
	stop   context.CancelFunc
	rm     Remote
	u      string
	size   int64
	off    int64
	body   io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
	tries  tries // connections since the last one that made progress
	start  int64 // f.off when the current connection started
}

func (rm Remote) open(u string, size int64) *remoteFile {
	ctx, stop := context.WithCancel(context.Background())
	return &remoteFile{ctx: ctx, stop: stop, rm: rm, u: u, size: size}
}

func (f *remoteFile) Read(p []byte) (int, error) {
	for {
		if f.ctx.Err() != nil {
			f.drop()
			return 0, fmt.Errorf("GET %s: closed", f.u)
		}
		if f.body == nil {
			if f.off >= f.size && f.size > 0 {
				return 0, io.EOF
			}
			if err := f.connect(); err != nil {
				return 0, err
			}
		}
		n, err := f.body.Read(p)
		f.off += int64(n)
		if n > 0 {
			f.timer.Reset(f.rm.Stall)
		}
		if err == io.EOF && f.off >= f.size {
			return n, io.EOF
		}
		if err == nil || n > 0 {
			if err != nil {
				f.drop()
			}
			return n, nil
		}
		// Broken, stalled or short: resume from f.off.
		f.drop()
		if f.tries.counted >= f.rm.Attempts && f.off-f.start < resumeProgress {
			return 0, fmt.Errorf("GET %s: transfer stopped at byte %d of %d: %w: gave up after %d attempts", f.u, f.off, f.size, err, f.tries.counted)
		}
	}
}

// connect starts (or resumes) the transfer, waiting between attempts.
func (f *remoteFile) connect() error {
	if f.off-f.start >= resumeProgress {
		f.tries = tries{} // the last connection got somewhere: a fresh budget
	}
	last := errors.New("transfer broke")
	for f.tries.counted < f.rm.Attempts {
		if f.tries.counted > 0 || !f.tries.busySince.IsZero() {
			if !f.tries.wait(f.ctx, f.rm) {
				return f.ctx.Err()
			}
		}
		ctx, cancel := context.WithCancel(f.ctx)
		resp, err := f.rm.get(ctx, f.u, f.off)
		if err == nil {
			f.tries.counted++ // it counts when it breaks without progress
			f.tries.busySince, f.tries.after = time.Time{}, 0
			f.body, f.cancel, f.start = resp.Body, cancel, f.off
			f.timer = time.AfterFunc(f.rm.Stall, cancel) // a stalled body read fails and is resumed
			return nil
		}
		cancel()
		if permanent(err) {
			return err
		}
		last = err
		f.tries.fail(f.rm, err)
	}
	return fmt.Errorf("%w: gave up after %d attempts", last, f.tries.counted)
}

func (f *remoteFile) drop() {
	if f.body != nil {
		f.timer.Stop()
		f.cancel()
		f.body.Close()
		f.body = nil
	}
}

func (f *remoteFile) Close() error {
	f.stop()
	return nil
}

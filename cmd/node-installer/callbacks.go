package main

import (
	"context"
	"time"

	"node-installer/installer"
	"node-installer/internal/event"
)

// doneCallbackTimeout bounds the done callbacks of a run, retries
// included: a receiver that is down or hangs delays the reboot by at
// most this much and never fails the install.
var doneCallbackTimeout = 30 * time.Second

// doneCallbacks are the URLs a provisioning system wants fetched once a
// run succeeded (docs/fleet.md): node.done_url (Foreman's built,
// Cobbler's nopxe) and oVirt Node's local_boot_trigger.
func doneCallbacks(cfg installer.Config) []event.Callback {
	var cbs []event.Callback
	for _, u := range cfg.Unattended.DoneURLs {
		cbs = append(cbs, event.Callback{Arg: "node.done_url", URL: u})
	}
	if u := cfg.Unattended.LocalBootTrigger; u != "" {
		cbs = append(cbs, event.Callback{Arg: "local_boot_trigger", URL: u})
	}
	return cbs
}

// callDone fetches the done callbacks after a successful run and says
// what became of each (URLs masked) on the console, in the log and to
// the webhook; the run's exit code stays what it was.
func (r *autoRun) callDone(code int) {
	if code == installer.ExitOK {
		callDone(r.bus, r.cfg)
	}
}

// callDone calls cfg's done callbacks within doneCallbackTimeout and
// emits one event per callback on bus: a log line when it was answered,
// a warning when not.
func callDone(bus event.Sink, cfg installer.Config) {
	cbs := doneCallbacks(cfg)
	if len(cbs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), doneCallbackTimeout)
	defer cancel()
	for _, res := range event.Call(ctx, cbs, event.CallOptions{}) {
		kind := event.Log
		if res.Err != nil {
			kind = event.Warning
		}
		bus.Emit(event.Event{Kind: kind, Step: "callback", Message: res.String()})
	}
}

package event

import (
	"fmt"
	"testing"
	"time"
)

func TestBusNeverBlocksOnSilentSubscriber(t *testing.T) {
	b := NewBus()
	_ = b.Subscribe(0) // never read
	live := b.Subscribe(1)
	var got []Event
	done := make(chan struct{})
	go func() {
		for e := range live {
			got = append(got, e)
		}
		close(done)
	}()
	start := time.Now()
	const n = 50000
	b.Emit(Event{Kind: StepStarted, Step: "write"})
	for i := 0; i < n; i++ {
		b.Emit(Event{Kind: Progress, Step: "write", Bytes: int64(i), Total: n})
	}
	b.Emit(Event{Kind: StepFinished, Step: "write"})
	b.Emit(Event{Kind: Done})
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("emitting %d events took %v: Emit blocks", n, d)
	}
	b.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("live subscriber's channel not closed after Close")
	}
	if len(got) < 3 {
		t.Fatalf("got %d events, want at least the 3 important ones", len(got))
	}
	if got[0].Kind != StepStarted || got[len(got)-2].Kind != StepFinished || got[len(got)-1].Kind != Done {
		t.Errorf("important events lost or reordered: first %v, last two %v %v", got[0].Kind, got[len(got)-2].Kind, got[len(got)-1].Kind)
	}
	// The last progress event delivered must be the newest one (coalescing keeps the latest).
	last := got[len(got)-3]
	if last.Kind != Progress || last.Bytes != n-1 {
		t.Errorf("last progress = %+v, want bytes %d", last, n-1)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Kind == Progress && got[i-1].Kind == Progress && got[i].Bytes <= got[i-1].Bytes {
			t.Fatalf("progress went backwards at %d: %d after %d", i, got[i].Bytes, got[i-1].Bytes)
		}
	}
}

func TestBusKeepsImportantEventsForSlowSubscriber(t *testing.T) {
	b := NewBus()
	ch := b.Subscribe(0)
	const steps = 200
	for i := 0; i < steps; i++ {
		step := fmt.Sprint("s", i)
		b.Emit(Event{Kind: StepStarted, Step: step})
		for j := 0; j < 100; j++ {
			b.Emit(Event{Kind: Progress, Step: step, Bytes: int64(j), Total: 100})
		}
		b.Emit(Event{Kind: Warning, Step: step, Message: "w"})
		b.Emit(Event{Kind: StepFinished, Step: step})
	}
	b.Emit(Event{Kind: Failed, Err: "boom"})
	b.Close()
	counts := map[Kind]int{}
	for e := range ch { // read only after everything was emitted
		counts[e.Kind]++
	}
	want := map[Kind]int{StepStarted: steps, Warning: steps, StepFinished: steps, Failed: 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: got %d, want %d", k, counts[k], n)
		}
	}
	if counts[Progress] > steps {
		t.Errorf("progress not coalesced: %d delivered for %d steps", counts[Progress], steps)
	}
}

func TestBusUnsubscribeAndEmitAfterClose(t *testing.T) {
	b := NewBus()
	ch := b.Subscribe(0)
	b.Emit(Event{Kind: Log, Message: "queued, never read"})
	b.Unsubscribe(ch)
	select {
	case _, ok := <-ch:
		for ok { // a pump already past the queue may deliver one event
			_, ok = <-ch
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after Unsubscribe")
	}
	b.Close()
	b.Emit(Event{Kind: Log}) // must not panic
	late := b.Subscribe(1)
	if _, ok := <-late; ok {
		t.Error("subscriber after Close got an event, want a closed channel")
	}
}

func TestAttachForwardsAll(t *testing.T) {
	b := NewBus()
	tail := NewTail(3)
	wait := Attach(b, tail, 4)
	for i := 0; i < 5; i++ {
		b.Emit(Event{Kind: Log, Message: fmt.Sprint("line ", i)})
	}
	b.Close()
	wait()
	got := tail.Lines()
	if len(got) != 3 || got[2] != "       line 4" || got[0] != "       line 2" {
		t.Errorf("tail = %q, want the last 3 lines", got)
	}
}

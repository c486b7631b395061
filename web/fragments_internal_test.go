package web

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/starfederation/datastar-go/datastar"
)

func TestAFragmentIsFramedOncePerChangeForEveryStream(t *testing.T) {
	var f fragments
	var builds atomic.Int64
	build := func(html string) func(*datastar.ServerSentEventGenerator) error {
		return func(sse *datastar.ServerSentEventGenerator) error {
			builds.Add(1)
			return sse.PatchElements(html)
		}
	}
	const one = "event: datastar-patch-elements\ndata: elements <ul>one</ul>\n\n\n"
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frame, err := f.frame(context.Background(), "events", "k1", build("<ul>one</ul>"))
			if err != nil || string(frame) != one {
				t.Errorf("frame: %q %v", frame, err)
			}
		}()
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("200 streams framed the same fragment %d times, want once", n)
	}
	if frame, _ := f.frame(context.Background(), "events", "k2", build("<ul>two</ul>")); !strings.Contains(string(frame), "<ul>two</ul>") || builds.Load() != 2 {
		t.Errorf("a change was not framed: %q after %d builds", frame, builds.Load())
	}
	if frame, _ := f.frame(context.Background(), "counters", "k2", build("<div>3</div>")); !strings.Contains(string(frame), "<div>3</div>") {
		t.Errorf("another fragment with the same key got %q", frame)
	}
}

func TestAFrameIsBuiltEvenWhenTheStreamThatAsksFirstHasLeft(t *testing.T) {
	var f fragments
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	frame, err := f.frame(ctx, "events", "k1", func(sse *datastar.ServerSentEventGenerator) error {
		return sse.PatchElements("<ul>one</ul>")
	})
	if err != nil || !strings.Contains(string(frame), "<ul>one</ul>") {
		t.Fatalf("frame for a gone stream: %q %v; the other streams would get nothing", frame, err)
	}
}

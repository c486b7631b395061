package web

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/a-h/templ"
)

func TestAFragmentIsRenderedOncePerChangeForEveryStream(t *testing.T) {
	var f fragments
	var builds atomic.Int64
	build := func(html string) func() templ.Component {
		return func() templ.Component {
			builds.Add(1)
			return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
				_, err := io.WriteString(w, html)
				return err
			})
		}
	}
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			html, err := f.render(context.Background(), "events", "k1", build("<ul>one</ul>"))
			if err != nil || html != "<ul>one</ul>" {
				t.Errorf("render: %q %v", html, err)
			}
		}()
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("200 streams rendered the same fragment %d times, want once", n)
	}
	if html, _ := f.render(context.Background(), "events", "k2", build("<ul>two</ul>")); html != "<ul>two</ul>" || builds.Load() != 2 {
		t.Errorf("a change was not rendered: %q after %d builds", html, builds.Load())
	}
	if html, _ := f.render(context.Background(), "counters", "k2", build("<div>3</div>")); html != "<div>3</div>" {
		t.Errorf("another fragment with the same key got %q", html)
	}
}

package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web"
)

func TestALiveStreamOutlivesTheReadTimeouts(t *testing.T) {
	ts := newTestServer(t)
	// The same handler behind a server with a short read timeout, as
	// 'smartbot serve' has a one-minute one, and routes with a short one.
	const readTimeout = 100 * time.Millisecond
	defer web.SetDefaultReadTimeout(readTimeout)()
	hs := httptest.NewUnstartedServer(ts.server)
	hs.Config.ReadTimeout = readTimeout
	hs.Start()
	t.Cleanup(func() {
		ts.server.CloseStreams()
		hs.Close()
	})
	lines := openDashboardStream(t, ts, hs.URL)
	waitFor := func(marker string) bool {
		for line := range lines {
			if strings.Contains(line, marker) {
				return true
			}
		}
		return false
	}
	if !waitFor(`id="events"`) {
		t.Fatal("the stream ended before its first patch")
	}
	// Outlast the read timeout: this waits for the deadline to pass, it
	// asserts nothing about time.
	<-time.After(5 * readTimeout)
	var e app.Event
	err := ts.db.Write(context.Background(), func(tx *store.Tx) (err error) {
		e, err = ts.emitter.Emit(context.Background(), tx, app.BotConnectedData{JID: "1@s.whatsapp.net", Phone: "1", Name: "Shop"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !waitFor(`id="event-` + e.ID + `"`) {
		t.Fatal("the stream ended at the server's read timeout instead of showing the event")
	}
}

func TestADashboardStreamThatDroppedEventsReadsItsFeedAfresh(t *testing.T) {
	ts := newTestServer(t)
	defer web.SetDashboardBuffer(1)()
	lines := openDashboardStream(t, ts, ts.url)
	for line := range lines {
		if strings.Contains(line, `id="events"`) {
			break
		}
	}
	// Twenty events in one commit reach a stream that buffers one: most are
	// dropped on the way, and only the refresh that notices can show them.
	var ids []string
	err := ts.db.Write(context.Background(), func(tx *store.Tx) error {
		for i := range 20 {
			e, err := ts.emitter.Emit(context.Background(), tx, app.BotConnectedData{JID: "1@s.whatsapp.net", Phone: strconv.Itoa(i), Name: "Shop"})
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second) // a guard against a hang: refreshes come every 2 s
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if !strings.Contains(line, `id="events"`) {
				continue
			}
			all := true
			for _, id := range ids {
				if !strings.Contains(line, `id="event-`+id+`"`) {
					all = false
				}
			}
			if all {
				return
			}
		case <-deadline:
			t.Fatal("the feed never showed every event: the dropped ones were lost")
		}
	}
}

// openDashboardStream opens the dashboard's live stream at base as a viewer
// and returns its lines; it ends with the test.
func openDashboardStream(t *testing.T, ts *testServer, base string) <-chan string {
	t.Helper()
	return openStream(t, base+"/dashboard/stream", ts.session(ts.users[app.RoleViewer], time.Hour))
}

// openStream opens the live stream at url with session and returns its
// lines; it ends with the test.
func openStream(t *testing.T, url, session string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hr, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	hr.AddCookie(&http.Cookie{Name: "smartbot_session", Value: session})
	hr.Header.Set("Datastar-Request", "true")
	res, err := http.DefaultClient.Do(hr)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("open %s: %v %v", url, res, err)
	}
	t.Cleanup(func() { res.Body.Close() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return lines
}

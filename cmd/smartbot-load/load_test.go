package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestPercentileIsTheNearestRank(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"p50 of 1..100 ms", sorted, 50, 50 * time.Millisecond},
		{"p99 of 1..100 ms", sorted, 99, 99 * time.Millisecond},
		{"p100 is the max", sorted, 100, 100 * time.Millisecond},
		{"a tiny p is the min", sorted, 0.001, time.Millisecond},
		{"p99 of 10 samples is the largest", sorted[:10], 99, 10 * time.Millisecond},
		{"p50 of 3 samples is the middle one", sorted[:3], 50, 2 * time.Millisecond},
		{"no samples is zero", nil, 99, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%d samples, %v) = %v, want %v", len(tc.sorted), tc.p, got, tc.want)
			}
		})
	}
}

func TestTheScheduleIsFixedIntervalsFromTheStart(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rate float64
		i    int
		want time.Duration
	}{
		{1000, 0, 0},
		{1000, 1, time.Millisecond},
		{1000, 2500, 2500 * time.Millisecond},
		{3, 1, 333333333 * time.Nanosecond},
		{4000, 4000, time.Second},
	} {
		if got := due(start, tc.rate, tc.i).Sub(start); got != tc.want {
			t.Errorf("due(rate %v, request %d) = start+%v, want start+%v", tc.rate, tc.i, got, tc.want)
		}
	}
}

func TestLatencyCountsFromTheScheduleNotFromTheSend(t *testing.T) {
	// One connection, 10 ms answers, a request due every 2 ms: a closed-loop
	// tool would report ~10 ms; the requests queue, and latency shows it.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
	}))
	defer srv.Close()
	r := load(config{url: srv.URL, rate: 500, duration: 200 * time.Millisecond, conns: 1, timeout: 5 * time.Second})
	if r.scheduled != 100 || r.completed != 100 || r.errors != 0 {
		t.Fatalf("scheduled %d, completed %d, errors %d; want 100, 100, 0", r.scheduled, r.completed, r.errors)
	}
	if p50 := percentile(r.service, 50); p50 < 10*time.Millisecond {
		t.Errorf("service time p50 = %v, want at least the handler's 10ms", p50)
	}
	if max := percentile(r.latency, 100); max < 500*time.Millisecond {
		t.Errorf("latency max = %v; the last request waited behind ~99 others of 10 ms, so it should be ≥ 500ms", max)
	}
}

func TestFindMaxStopsAtTheFirstRateThatMissesTheBound(t *testing.T) {
	// Each answer takes 5 ms on one connection: 200/s at most.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()
	settle = 0
	c := config{url: srv.URL, duration: 300 * time.Millisecond, conns: 1, timeout: 5 * time.Second}
	got := findMaxRate(c, 50*time.Millisecond, 50, 0, 0, io.Discard)
	if got < 50 || got > 200 {
		t.Errorf("max rate = %v, want between 50 and 200", got)
	}
}

func TestOnlyLoopbackURLsAreAccepted(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080/api/audit": true,
		"http://localhost:8080/":          true,
		"http://[::1]:8080/":              true,
		"http://192.0.2.1/":               false,
		"http://example.com/":             false,
		"https://127.0.0.1/":              false,
		"127.0.0.1:8080":                  false,
	} {
		if err := checkURL(url); (err == nil) != ok {
			t.Errorf("checkURL(%q) = %v, want ok=%v", url, err, ok)
		}
	}
}

func TestEachRequestOfACreateRunHasItsOwnValue(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			string(body) != `{"sku":"`+key+`"}` || seen[key] {
			bad = append(bad, r.Method+" "+r.Header.Get("Content-Type")+" "+key+" "+string(body))
		}
		seen[key] = true
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	c := config{url: srv.URL, method: http.MethodPost, body: `{"sku":"{{n}}"}`,
		headers: http.Header{"Idempotency-Key": {"{{n}}"}}, rate: 200, duration: 100 * time.Millisecond, conns: 4, timeout: 5 * time.Second}
	for range 2 { // and unique across runs
		if r := load(c); r.completed != 20 || r.non2xx != 0 || r.errors != 0 {
			t.Fatalf("completed %d, non-2xx %d, errors %d; want 20, 0, 0", r.completed, r.non2xx, r.errors)
		}
	}
	if len(bad) > 0 || len(seen) != 40 {
		t.Fatalf("%d distinct values for 40 requests; wrong requests: %q", len(seen), bad)
	}
}

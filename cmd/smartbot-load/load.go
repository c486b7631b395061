package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// config is one load run.
type config struct {
	url      string
	method   string      // GET when empty
	body     string      // sent with each request; {{n}} becomes a value unique to the request
	headers  http.Header // {{n}} in a value becomes the same unique value
	rate     float64
	duration time.Duration
	warmup   time.Duration
	conns    int
	timeout  time.Duration
}

// due is when request i of an open-loop run at rate per second is to be
// sent: a fixed schedule from start, whatever earlier answers did.
func due(start time.Time, rate float64, i int) time.Time {
	return start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
}

// sample is what happened to one request.
type sample struct {
	sent    bool
	err     bool
	status  int
	latency time.Duration // from when it was due to the end of its body
	service time.Duration // from when it was sent to the end of its body
	end     time.Duration // end of its body, from the start of the run
}

// result sums up the measured part of a run (warm-up excluded).
type result struct {
	scheduled, sent, completed, errors, non2xx int
	throughput                                 float64 // 2xx answers per second
	latency, service                           []time.Duration
}

// load runs c: it schedules the requests, has c.conns workers send them,
// and gives up on requests still queued c.timeout after the last was due.
func load(c config) result {
	total := int((c.warmup + c.duration).Seconds() * c.rate)
	warm := int(c.warmup.Seconds() * c.rate)
	client := &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     c.conns,
		MaxIdleConnsPerHost: c.conns,
		DisableCompression:  true,
	}}
	defer client.CloseIdleConnections()

	start := time.Now()
	run := uniqueRun()
	ctx, cancel := context.WithDeadline(context.Background(), due(start, c.rate, total).Add(c.timeout))
	defer cancel()
	type job struct {
		i  int
		at time.Time
	}
	jobs := make(chan job, total)
	samples := make([]sample, total) // each index is written by one worker only
	var wg sync.WaitGroup
	for range c.conns {
		wg.Go(func() {
			for j := range jobs {
				samples[j.i] = send(ctx, client, c, run+"-"+strconv.Itoa(j.i), j.at, start)
			}
		})
	}
	for i := range total {
		at := due(start, c.rate, i)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{i, at}
	}
	close(jobs)
	wg.Wait()
	return summarize(samples[warm:], c.warmup, c.duration)
}

// placeholder in -body and -header values is replaced by a value unique
// to each request, so that creates do not collide (a SKU, a name, an
// Idempotency-Key).
const placeholder = "{{n}}"

// runs counts load runs in this process; with the start time it makes
// each run's values unique across runs and processes.
var runs atomic.Int64

// uniqueRun is a prefix no other run shares: the time the process started
// and this run's number, in base 36.
func uniqueRun() string {
	return strconv.FormatInt(processStart, 36) + strconv.FormatInt(runs.Add(1), 36)
}

var processStart = time.Now().UnixNano()

// newRequest builds request n (a unique value) of c.
func newRequest(ctx context.Context, c config, n string) (*http.Request, error) {
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(strings.ReplaceAll(c.body, placeholder, n))
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url, body)
	if err != nil {
		return nil, err
	}
	req.Header = make(http.Header, len(c.headers)+1)
	for k, vs := range c.headers {
		for _, v := range vs {
			req.Header.Add(k, strings.ReplaceAll(v, placeholder, n))
		}
	}
	if c.body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// send makes one request due at at, unless the run's deadline has passed.
// n is the request's unique value.
func send(ctx context.Context, client *http.Client, c config, n string, at, start time.Time) sample {
	if ctx.Err() != nil {
		return sample{err: true}
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := newRequest(rctx, c, n)
	if err != nil {
		return sample{err: true}
	}
	sent := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return sample{sent: true, err: true}
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	end := time.Now()
	if err != nil {
		return sample{sent: true, err: true}
	}
	return sample{sent: true, status: res.StatusCode, latency: end.Sub(at), service: end.Sub(sent), end: end.Sub(start)}
}

// summarize counts the measured samples; throughput is over the measured
// window, or up to the last answer when answers ran late.
func summarize(samples []sample, warmup, duration time.Duration) result {
	r := result{scheduled: len(samples)}
	var last time.Duration
	ok := 0
	for _, s := range samples {
		if s.sent {
			r.sent++
		}
		if s.err {
			r.errors++
			continue
		}
		r.completed++
		if s.status/100 == 2 {
			ok++
		} else {
			r.non2xx++
		}
		r.latency = append(r.latency, s.latency)
		r.service = append(r.service, s.service)
		last = max(last, s.end)
	}
	window := max(duration, last-warmup)
	r.throughput = float64(ok) / window.Seconds()
	slices.Sort(r.latency)
	slices.Sort(r.service)
	return r
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// ok reports whether a run met bound at p99 with every request answered 2xx.
func (r result) ok(bound time.Duration) bool {
	return r.errors == 0 && r.non2xx == 0 && r.completed == r.scheduled && percentile(r.latency, 99) < bound
}

func (r result) print(w io.Writer, c config) {
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	fmt.Fprintf(w, "%s %s at %.0f/s for %s (warm-up %s), %d connections\n", method, c.url, c.rate, c.duration, c.warmup, c.conns)
	fmt.Fprintf(w, "scheduled %d  sent %d  completed %d  errors %d  non-2xx %d  throughput %.1f/s\n",
		r.scheduled, r.sent, r.completed, r.errors, r.non2xx, r.throughput)
	for _, d := range []struct {
		name string
		ds   []time.Duration
	}{{"latency from schedule", r.latency}, {"service time         ", r.service}} {
		fmt.Fprintf(w, "%s  p50 %sms  p90 %sms  p99 %sms  max %sms\n", d.name,
			ms(percentile(d.ds, 50)), ms(percentile(d.ds, 90)), ms(percentile(d.ds, 99)), ms(percentile(d.ds, 100)))
	}
	// One line for scripts.
	fmt.Fprintf(w, "result rate=%.0f throughput=%.1f p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s errors=%d non2xx=%d\n",
		c.rate, r.throughput, ms(percentile(r.latency, 50)), ms(percentile(r.latency, 90)), ms(percentile(r.latency, 99)),
		ms(percentile(r.latency, 100)), r.errors, r.non2xx)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// settle is the pause between -find-max steps, for the server to finish
// what a failed step left queued.
var settle = time.Second

// findMaxRate doubles the rate from start until a run misses bound (or has
// errors), then bisects between the last good and the first bad rate.
// A rate that misses is tried again up to retries times before it counts
// as bad: on a shared machine, one neighbour's burst should not end the
// search. It returns the highest good rate, 0 if even start failed.
func findMaxRate(c config, bound time.Duration, start float64, bisect, retries int, w io.Writer) float64 {
	try := func(rate float64) bool {
		c.rate = rate
		for range retries + 1 {
			r := load(c)
			r.print(w, c)
			time.Sleep(settle)
			if r.ok(bound) {
				return true
			}
		}
		return false
	}
	good, bad := 0.0, 0.0
	for rate := start; rate <= 1e6; rate *= 2 {
		if !try(rate) {
			bad = rate
			break
		}
		good = rate
	}
	if bad == 0 {
		return good
	}
	lo := good
	if lo == 0 {
		lo = bad / 2
	}
	for range bisect {
		mid := (lo + bad) / 2
		if try(mid) {
			lo, good = mid, mid
		} else {
			bad = mid
		}
	}
	return good
}

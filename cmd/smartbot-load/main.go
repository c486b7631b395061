// Command smartbot-load measures an HTTP endpoint under open-loop load, and
// serves a bare net/http baseline to compare Smartbot with.
//
//	smartbot-load -url URL [-method GET] [-body JSON] [-header 'K: V']... [-rate 1000] [-duration 10s] [-warmup 2s] [-conns 64]
//	smartbot-load -find-max -url URL [-p99-bound 50ms] ...
//	smartbot-load -save FILE -url URL [-header 'K: V']...
//	smartbot-load bare -addr 127.0.0.1:PORT -body FILE [-lifetime 15m]
//
// Requests are sent at fixed intervals whatever the answers do (open loop),
// and latency is counted from when a request was due, not from when a free
// connection sent it, so queueing shows instead of hiding (coordinated
// omission). With -method and -body it measures writes: {{n}} in the body
// or in a header value becomes a value unique to each request (a SKU, an
// Idempotency-Key), so creates do not collide. It talks to loopback
// addresses only: it is a measuring tool, not a way to flood someone
// else's server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const usage = `Usage:
  smartbot-load -url URL [-method M] [-body JSON] [-header 'K: V']... [-rate N] [-duration D] [-warmup D] [-conns N]
  smartbot-load -find-max -url URL [-p99-bound 50ms] [-start-rate N] ...
  smartbot-load -save FILE -url URL [-header 'K: V']...
  smartbot-load bare -addr 127.0.0.1:PORT -body FILE [-lifetime D]

`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "smartbot-load:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "bare" {
		return bare(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "media" {
		return mediaBench(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("smartbot-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var c config
	var headers headerFlag
	fs.StringVar(&c.url, "url", "", "URL to load (loopback only)")
	fs.StringVar(&c.method, "method", http.MethodGet, "request method")
	fs.StringVar(&c.body, "body", "", "request body (JSON unless a Content-Type -header says otherwise); "+placeholder+" in it, and in -header values, becomes a value unique to each request")
	fs.Var(&headers, "header", "request header 'Name: value' (repeatable)")
	fs.Float64Var(&c.rate, "rate", 1000, "requests per second, sent at fixed intervals")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to measure")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "load sent before measuring, not counted")
	fs.IntVar(&c.conns, "conns", 64, "most connections open at once (the keep-alive pool)")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "per request, and how long requests still queued at the end may wait")
	findMax := fs.Bool("find-max", false, "step the rate up and report the highest one meeting -p99-bound with no errors")
	bound := fs.Duration("p99-bound", 50*time.Millisecond, "-find-max: the p99 latency a rate must stay under")
	startRate := fs.Float64("start-rate", 500, "-find-max: first rate; it doubles until a step fails, then bisects")
	bisect := fs.Int("bisect", 3, "-find-max: bisection steps after the first failing rate")
	retries := fs.Int("retries", 1, "-find-max: times a rate that missed is tried again before it counts as too high")
	save := fs.String("save", "", "send one request, write the answer's body to this file and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.headers = http.Header(headers)
	c.method = strings.ToUpper(c.method)
	switch c.method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return fmt.Errorf("-method %q is not GET, POST, PUT, PATCH or DELETE", c.method)
	}
	if err := checkURL(c.url); err != nil {
		return err
	}
	if c.rate <= 0 || c.conns < 1 || c.duration <= 0 || c.warmup < 0 || c.timeout <= 0 {
		return errors.New("-rate, -conns, -duration and -timeout must be positive, -warmup not negative")
	}
	switch {
	case *save != "":
		return saveBody(c, *save)
	case *findMax:
		best := findMaxRate(c, *bound, *startRate, *bisect, *retries, stdout)
		fmt.Fprintf(stdout, "max_rate=%.0f p99_bound_ms=%s\n", best, ms(*bound))
		return nil
	}
	res := load(c)
	res.print(stdout, c)
	return nil
}

// headerFlag collects repeated -header 'Name: value' flags.
type headerFlag http.Header

func (h *headerFlag) String() string { return "" }

func (h *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q is not 'Name: value'", v)
	}
	if *h == nil {
		*h = headerFlag{}
	}
	http.Header(*h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

// checkURL accepts http URLs on loopback hosts only.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-url %q is not an http:// URL", raw)
	}
	return checkLoopback(u.Hostname())
}

func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address; smartbot-load only loads this machine", host)
}

// saveBody sends one request and writes the response's body to file, for the bare server to serve.
func saveBody(c config, file string) error {
	req, err := newRequest(context.Background(), c, uniqueRun())
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: c.timeout}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", c.url, res.Status, body)
	}
	return os.WriteFile(file, body, 0o644)
}

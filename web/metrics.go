package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"smartbot/app"
	"smartbot/queue"
)

// metrics is the server's Prometheus registry: HTTP requests by route and
// status with latency histograms, queue figures and events emitted, read at
// scrape time.
type metrics struct {
	registry       *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	passwordChecks prometheus.Counter
	loginsRefused  prometheus.Counter
}

// EventCounter is what the metrics need of the event emitter.
type EventCounter interface {
	Counts() map[app.EventType]int64
}

func newMetrics(qs *queue.Queues, runner *queue.Runner, events EventCounter) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smartbot_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smartbot_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		passwordChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smartbot_login_password_checks_total", Help: "Password hashes checked at sign-in.",
		}),
		loginsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smartbot_login_refused_total", Help: "Sign-ins refused by the rate limits without checking a password.",
		}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.passwordChecks, m.loginsRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if qs != nil {
		m.registry.MustRegister(&queueCollector{queues: qs, runner: runner})
	}
	if events != nil {
		m.registry.MustRegister(&eventCollector{events: events})
	}
	return m
}

// observe counts one request. Every label comes from a fixed set, never
// from the request as sent: each distinct value is a series kept for the
// life of the process, so a client inventing methods could otherwise grow
// the memory and /metrics without bound. route is a pattern of the route
// table or "unmatched" (the only values middleware and guard give it).
func (m *metrics) observe(route, method string, status int, took time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(took.Seconds())
}

// methodLabel is method if it is one of the standard methods the server
// answers, else "other".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// statusLabel is the status code, or "other" outside 100–599.
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

var (
	queueDepth     = prometheus.NewDesc("smartbot_queue_depth", "Jobs waiting in a queue, due now or scheduled.", []string{"queue"}, nil)
	queueScheduled = prometheus.NewDesc("smartbot_queue_scheduled", "Waiting jobs not due yet (retries in backoff, delayed jobs).", []string{"queue"}, nil)
	queueInFlight  = prometheus.NewDesc("smartbot_queue_in_flight", "Jobs claimed by the runner and not yet settled.", []string{"queue"}, nil)
	queueDead      = prometheus.NewDesc("smartbot_queue_dead_letters", "Jobs that used all their attempts.", []string{"queue"}, nil)
	queueProcessed = prometheus.NewDesc("smartbot_queue_processed_total", "Job attempts that succeeded since start.", []string{"queue"}, nil)
	queueFailed    = prometheus.NewDesc("smartbot_queue_failed_total", "Job attempts that failed since start.", []string{"queue"}, nil)
	eventsEmitted  = prometheus.NewDesc("smartbot_events_emitted_total", "Events committed since start, by type.", []string{"type"}, nil)
)

type queueCollector struct {
	queues *queue.Queues
	runner *queue.Runner
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueDepth, queueScheduled, queueInFlight, queueDead, queueProcessed, queueFailed} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := c.queues.Stats(ctx, c.runner)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepth, err)
		return
	}
	for _, s := range stats {
		q := string(s.Queue)
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(s.Depth), q)
		ch <- prometheus.MustNewConstMetric(queueScheduled, prometheus.GaugeValue, float64(s.Scheduled), q)
		ch <- prometheus.MustNewConstMetric(queueInFlight, prometheus.GaugeValue, float64(s.InFlight), q)
		ch <- prometheus.MustNewConstMetric(queueDead, prometheus.GaugeValue, float64(s.Dead), q)
		ch <- prometheus.MustNewConstMetric(queueProcessed, prometheus.CounterValue, float64(s.Processed), q)
		ch <- prometheus.MustNewConstMetric(queueFailed, prometheus.CounterValue, float64(s.Failed), q)
	}
}

type eventCollector struct{ events EventCounter }

func (c *eventCollector) Describe(ch chan<- *prometheus.Desc) { ch <- eventsEmitted }

func (c *eventCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.events.Counts()
	for _, t := range app.EventTypes {
		ch <- prometheus.MustNewConstMetric(eventsEmitted, prometheus.CounterValue, float64(counts[t]), string(t))
	}
}

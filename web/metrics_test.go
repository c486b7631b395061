package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"smartbot/app"
)

// requestSeries matches one series of smartbot_http_requests_total or of the
// latency histogram, capturing its labels.
var requestSeries = regexp.MustCompile(`(?m)^smartbot_http_request(?:s_total|_duration_seconds_count)\{([^}]*)\} `)

func TestMadeUpMethodsAndPathsDoNotGrowTheMetrics(t *testing.T) {
	ts := newTestServer(t)
	const n = 500
	for i := range n {
		method := fmt.Sprintf("MADEUP%d", i)
		// Unknown paths, unknown API paths and a known one, each under a
		// method no route has.
		path := []string{fmt.Sprintf("/nowhere-%d", i), fmt.Sprintf("/api/nowhere-%d", i), "/api/me"}[i%3]
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Authorization", "Bearer "+ts.keys[app.RoleViewer])
		ts.server.ServeHTTP(httptest.NewRecorder(), r)
	}
	res, body := ts.do(req{method: "GET", path: "/metrics", key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %.300s", res.StatusCode, body)
	}
	series := requestSeries.FindAllSubmatch(body, -1)
	if len(series) == 0 {
		t.Fatalf("no request series in /metrics:\n%.2000s", body)
	}
	routes := []string{"unmatched"}
	for _, rt := range ts.server.Routes() {
		routes = append(routes, rt.Pattern)
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	var bad []string
	for _, s := range series {
		labels := string(s[1])
		if strings.Contains(labels, "MADEUP") || strings.Contains(labels, "nowhere") {
			bad = append(bad, "from the request: {"+labels+"}")
			continue
		}
		for _, l := range label.FindAllStringSubmatch(labels, -1) {
			name, value := l[1], l[2]
			code, err := strconv.Atoi(value)
			switch {
			case name == "route" && !slices.Contains(routes, value):
				bad = append(bad, "route not in the route table: {"+labels+"}")
			case name == "method" && !slices.Contains(methods, value):
				bad = append(bad, "method not a known one or other: {"+labels+"}")
			case name == "status" && value != "other" && (err != nil || code < 100 || code > 599):
				bad = append(bad, "status neither 100–599 nor other: {"+labels+"}")
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d series with labels out of their fixed sets, first ones:\n%s", len(bad), strings.Join(bad[:min(len(bad), 5)], "\n"))
	}
	// A handful of series (route × method × status), never one per request.
	if len(series) > 20 {
		t.Errorf("%d request series after %d made-up requests; they must not grow with the requests", len(series), n)
	}
}

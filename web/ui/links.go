package ui

import (
	"net/url"
	"strings"
)

// navItem is one entry of the top bar.
type navItem struct {
	Key, Label, Href string
}

// nav is the top bar, in order. Key matches Layout.Nav.
var nav = []navItem{
	{"dashboard", "Dashboard", "/"},
	{"users", "Users", "/users"},
	{"keys", "API keys", "/keys"},
	{"audit", "Audit log", "/audit"},
	{"queues", "Queues", "/queues"},
}

// roles are the choices of every role select, most powerful first.
var roles = []string{"owner", "operator", "viewer"}

// itemPath builds "/<collection>/<id>/<action>" with the id escaped as one
// path segment, so an odd id can never change the route. url.PathEscape
// also escapes quotes, which keeps the result safe inside the single-quoted
// strings of Datastar expressions.
func itemPath(collection, id, action string) string {
	return "/" + collection + "/" + url.PathEscape(id) + "/" + action
}

// postAction is the Datastar v1 expression that POSTs to path; the server
// answers with SSE patches.
func postAction(path string) string {
	return "@post('" + path + "')"
}

// streamAction is the Datastar expression that opens a page's live stream
// and keeps it open: retried forever (every 30 s at most once the quick
// retries are spent), so a tab left open through a long outage comes back.
func streamAction(path string) string {
	return "@get('" + path + "', {retry: 'always', retryMaxCount: 1000000})"
}

// badgeClass picks the colour of a role or status badge; unknown values get
// the neutral badge.
func badgeClass(value string) string {
	switch v := strings.ToLower(value); v {
	case "owner", "operator", "active", "expired", "revoked":
		return "badge badge-" + v
	default:
		return "badge"
	}
}

// orDash shows "—" for an empty display value, so a table cell never looks
// broken.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

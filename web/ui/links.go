package ui

import (
	"net/url"
	"strings"
)

// navItem is one entry of the top bar; owner entries show to owners only.
type navItem struct {
	Key, Label, Href string
	Owner            bool
}

// nav is the top bar, in order. Key matches Layout.Nav. The shop's daily
// work (orders to deliveries) follows the inbox; with fifteen sections the
// bar takes a row of its own under the brand on a laptop, and wraps on a
// phone (app.css), so none hides off the screen.
var nav = []navItem{
	{"dashboard", "Dashboard", "/", false},
	{"inbox", "Inbox", "/inbox", false},
	{"orders", "Orders", "/orders", false},
	{"products", "Products", "/products", false},
	{"customers", "Customers", "/customers", false},
	{"deliveries", "Deliveries", "/deliveries", false},
	{"media", "Media", "/library", false},
	{"templates", "Templates", "/templates", false},
	{"users", "Users", "/users", false},
	{"keys", "API keys", "/keys", true},
	{"webhooks", "Webhooks", "/webhooks", true},
	{"events", "Events", "/events", false},
	{"audit", "Audit log", "/audit", false},
	{"queues", "Queues", "/queues", false},
	{"settings", "Settings", "/settings", true},
}

// zones are the timezones the timezone field suggests; any other IANA
// name may be typed. Africa first: most shops on WhatsApp sell there.
var zones = []string{
	"Africa/Harare", "Africa/Johannesburg", "Africa/Lusaka", "Africa/Maputo", "Africa/Gaborone", "Africa/Windhoek",
	"Africa/Blantyre", "Africa/Nairobi", "Africa/Kampala", "Africa/Dar_es_Salaam", "Africa/Addis_Ababa", "Africa/Kinshasa",
	"Africa/Lagos", "Africa/Accra", "Africa/Abidjan", "Africa/Dakar", "Africa/Cairo", "Africa/Casablanca", "Africa/Algiers",
	"Europe/London", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Istanbul", "Europe/Moscow",
	"Asia/Dubai", "Asia/Riyadh", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Jakarta", "Asia/Manila", "Asia/Singapore",
	"Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
	"America/Sao_Paulo", "America/Buenos_Aires", "America/Bogota", "America/Lima", "America/Mexico_City",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "UTC",
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

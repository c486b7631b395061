package ui

// View data of the webhooks and events pages (webhooks.templ, events.templ).

// WebhooksPage lists the endpoints; owners also get the form to add one.
type WebhooksPage struct {
	Layout    Layout
	Endpoints []WebhookRow
	Form      WebhookForm
	CanAdmin  bool
	Stream    string
}

// WebhookRow is one endpoint with its health, as the list and the
// endpoint's own page show it.
type WebhookRow struct {
	ID, URL, Description, Href string
	Events                     string // "Every event" or the types, comma-separated
	Active                     bool
	DisabledReason, DisabledAt string
	LastSuccess                string // "" when never
	FailureStreak              int
	FailingSince               string // "" while the last delivery succeeded
	Health                     string // a sentence: "Healthy", "3 failures in a row since …"
	HealthClass                string // badge class
}

// WebhookForm is the endpoint form as typed: shown again with Problems
// (by field: url, description, events; "" for the form) when refused.
type WebhookForm struct {
	Action, Submit string
	URL            string
	Description    string
	Events         []EventChoice
	All            bool
	Active         bool
	ShowActive     bool
	Problems       map[string]string
}

// EventChoice is one event type's checkbox.
type EventChoice struct {
	Type, Label string
	Checked     bool
}

// WebhookPage is one endpoint: health, the secret just made (once), the
// edit form, ping, redelivery and the delivery log.
type WebhookPage struct {
	Layout        Layout
	Endpoint      WebhookRow
	Secret        string // shown once, after create or rotate
	SecretNote    string
	Form          WebhookForm
	CanAdmin      bool
	CanOperate    bool
	Stream        string
	PingAction    string
	Redeliver     string // the redeliver form's action
	EnableAction  string
	RotateHref    string
	DeleteHref    string
	SinceDefault  string // datetime-local value for "redeliver all failed since"
	PreviousUntil string // when the previous secret stops signing, "" when none
	Log           WebhookLog
	Ping          *PingResult
}

// WebhookLog is one page of an endpoint's delivery attempts, newest first.
type WebhookLog struct {
	Attempts   []WebhookAttempt
	Outcome    string // the filters as chosen
	EventID    string
	Outcomes   []string
	FilterURL  string
	NextURL    string // older attempts, "" on the last page
	FirstPage  bool
	CanOperate bool
	Redeliver  string
	Empty      string
}

// WebhookAttempt is one delivery attempt with its request and response.
type WebhookAttempt struct {
	ID                        string
	Time, EventID, EventType  string
	EventHref                 string
	Attempt                   int
	Outcome, OutcomeClass     string
	Status                    string // "" when there was no answer
	Duration                  string
	RequestHeaders            []Header
	ResponseHeaders           []Header
	ResponseBody, Error, Next string
	BodySHA256                string
	Ping                      bool
}

// Header is one header line.
type Header struct{ Name, Value string }

// PingResult is what a test ping got back, shown in place.
type PingResult struct {
	OK       bool
	Status   string
	Duration string
	Body     string
	Error    string
	Time     string
}

// EventsPage is the event history: filters, one page of events, live.
type EventsPage struct {
	Layout Layout
	Types  []EventChoice // the type filter's options; Checked is the chosen one
	Type   string
	Since  string // date filters, yyyy-mm-dd in the shop's zone
	Until  string
	List   EventList
	Stream string
}

// EventList is the #event-list fragment.
type EventList struct {
	Events  []EventEntry
	NextURL string
	Empty   string
	Note    string // why the list may be shorter than it could be
}

// EventEntry is one event with its whole payload, pretty-printed.
type EventEntry struct {
	ID, Type, Kind, Time, Summary string
	Payload                       string
}

// offWhen finishes "This endpoint is turned off" with when, if known.
func offWhen(at string) string {
	if at == "" {
		return ""
	}
	return " since " + at
}

// orNever shows "never" for a time that has not happened.
func orNever(s string) string {
	if s == "" {
		return "never"
	}
	return s
}

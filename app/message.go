package app

import (
	"encoding/json"
	"time"
)

// Customer is one person who writes to the shop on WhatsApp, keyed on the
// phone number, with the LID beside it when WhatsApp gives one.
type Customer struct {
	ID    string `json:"id"`
	Phone string `json:"phone"`
	JID   string `json:"jid"` // the chat to answer
	LID   string `json:"lid,omitempty"`
	Name  string `json:"name"`
	// Handover is set while a person has taken the chat over: the bot
	// stays quiet.
	Handover      *time.Time `json:"handover_at"`
	Simulated     bool       `json:"simulated"`
	OptOut        bool       `json:"marketing_opt_out"`
	Notes         string     `json:"notes"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	LastMessageAt *time.Time `json:"last_message_at"`
	// LastInboundAt is when the customer last wrote: the 24-hour window.
	LastInboundAt *time.Time `json:"last_inbound_at"`
}

// Message is one WhatsApp message in or out.
type Message struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Phone      string `json:"phone"`
	Chat       string `json:"chat"`
	Direction  string `json:"direction"` // in or out
	Kind       string `json:"kind"`
	Text       string `json:"text"`
	// Payload is the kind's detail: for outgoing messages the Outgoing
	// shape (options, poll, media) and the options a reply is matched
	// against; for inbound ones the Inbound as received.
	Payload         json.RawMessage `json:"payload"`
	TemplateID      string          `json:"template_id,omitempty"`
	TemplateVersion int             `json:"template_version,omitempty"`
	MediaID         string          `json:"media_id,omitempty"`
	Status          string          `json:"status"`
	WAID            string          `json:"whatsapp_id,omitempty"`
	Error           string          `json:"error,omitempty"`
	SentBy          string          `json:"sent_by,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	SentAt          *time.Time      `json:"sent_at"`
	DeliveredAt     *time.Time      `json:"delivered_at"`
	ReadAt          *time.Time      `json:"read_at"`
}

// Directions of a message.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// Conversation is one customer's chat as the inbox lists it.
type Conversation struct {
	Customer Customer `json:"customer"`
	Last     *Message `json:"last_message"`
	Unread   int      `json:"unread"`
}

// Pacing is how fast Smartbot sends, chosen to keep the shop's number from
// being banned. Every field has a conservative default (DefaultPacing).
type Pacing struct {
	// ChatGap is the least time between two messages to one chat; a
	// random part up to ChatJitter is added to it.
	ChatGap    time.Duration `json:"chat_gap"`
	ChatJitter time.Duration `json:"chat_jitter"`
	// PerMinute is how many messages go out per minute in all (0: no limit).
	PerMinute int `json:"per_minute"`
	// Typing is shown before a reply for TypingPerChar per character, at
	// least TypingMin and at most TypingMax (0 TypingMax: no typing).
	TypingPerChar time.Duration `json:"typing_per_char"`
	TypingMin     time.Duration `json:"typing_min"`
	TypingMax     time.Duration `json:"typing_max"`
	// ColdDailyCap is how many messages a day may go to customers who have
	// not written in the last 24 hours (0: none; -1: no cap).
	ColdDailyCap int `json:"cold_daily_cap"`
	// BreakerErrors send errors in a row open the circuit breaker for
	// BreakerPause.
	BreakerErrors int           `json:"breaker_errors"`
	BreakerPause  time.Duration `json:"breaker_pause"`
}

// DefaultPacing: 2 s (+ up to 1 s) between messages to one chat, 20 a
// minute in all, typing for 30 ms a character (0.5–4 s), 50 messages a day
// to customers outside the 24-hour window, and a 5-minute pause after 5
// send errors in a row.
var DefaultPacing = Pacing{
	ChatGap: 2 * time.Second, ChatJitter: time.Second, PerMinute: 20,
	TypingPerChar: 30 * time.Millisecond, TypingMin: 500 * time.Millisecond, TypingMax: 4 * time.Second,
	ColdDailyCap: 50, BreakerErrors: 5, BreakerPause: 5 * time.Minute,
}

// SettingPacing is the settings key of the Pacing (JSON).
const SettingPacing = "whatsapp.pacing"

// Validate checks the pacing's fields.
func (p Pacing) Validate() []FieldError {
	var errs []FieldError
	dur := func(field string, d, max time.Duration) {
		if d < 0 || d > max {
			errs = append(errs, FieldError{field, "must be between 0 and " + max.String()})
		}
	}
	dur("chat_gap", p.ChatGap, time.Hour)
	dur("chat_jitter", p.ChatJitter, time.Hour)
	dur("typing_per_char", p.TypingPerChar, time.Second)
	dur("typing_min", p.TypingMin, time.Minute)
	dur("typing_max", p.TypingMax, time.Minute)
	dur("breaker_pause", p.BreakerPause, 24*time.Hour)
	if p.TypingMin > p.TypingMax && p.TypingMax > 0 {
		errs = append(errs, FieldError{"typing_min", "must not be more than typing_max"})
	}
	if p.PerMinute < 0 || p.PerMinute > 1000 {
		errs = append(errs, FieldError{"per_minute", "must be between 0 (no limit) and 1000"})
	}
	if p.ColdDailyCap < -1 || p.ColdDailyCap > 100000 {
		errs = append(errs, FieldError{"cold_daily_cap", "must be -1 (no cap), 0 or more"})
	}
	if p.BreakerErrors < 1 || p.BreakerErrors > 1000 {
		errs = append(errs, FieldError{"breaker_errors", "must be between 1 and 1000"})
	}
	return errs
}

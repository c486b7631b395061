package web

import (
	"encoding/json"
	"fmt"
	"strings"

	"smartbot/app"
)

// Words for people: events as sentences, audit actions as what happened.
// The API and webhooks keep the machine names; only the panel shows these.

// eventKinds are the feed's short labels, one per event type.
var eventKinds = map[app.EventType]string{
	app.MessageReceived: "Message", app.MessageSent: "Message",
	app.OrderCreated: "Order", app.OrderStatusChanged: "Order",
	app.ProductUpdated: "Product", app.PaymentReceived: "Payment",
	app.DeliveryStarted: "Delivery", app.DeliveryCompleted: "Delivery",
	app.BotConnected: "WhatsApp", app.BotDisconnected: "WhatsApp",
}

// orderStatusWords finish the sentence "Order SB-000123 …".
var orderStatusWords = map[string]string{
	"pending": "is pending", "confirmed": "confirmed", "preparing": "is being prepared", "ready": "is ready",
	"out_for_delivery": "is out for delivery", "delivered": "delivered", "completed": "collected", "cancelled": "cancelled",
}

// eventSentence says what an event means, in one line: "New product: Tea",
// "Order SB-000123 confirmed". An event whose data cannot be read still
// gets a sentence from its type.
func eventSentence(e app.Event) string {
	quote := func(s string) string { return "“" + app.Shorten(s, 80) + "”" }
	switch e.Type {
	case app.MessageReceived:
		var d app.MessageReceivedData
		json.Unmarshal(e.Data, &d)
		return join("Message from "+orDefault(d.Phone, "a customer"), quote(d.Text), d.Text != "")
	case app.MessageSent:
		var d app.MessageSentData
		json.Unmarshal(e.Data, &d)
		return join("Message to "+orDefault(d.Phone, "a customer"), quote(d.Text), d.Text != "")
	case app.OrderCreated:
		var d app.OrderCreatedData
		json.Unmarshal(e.Data, &d)
		return join("New order "+d.Number, money(d.Total, d.Currency), d.Currency != "")
	case app.OrderStatusChanged:
		var d app.OrderStatusChangedData
		json.Unmarshal(e.Data, &d)
		return "Order " + d.Number + " " + orDefault(orderStatusWords[d.To], "is now "+strings.ReplaceAll(d.To, "_", " "))
	case app.ProductUpdated:
		var d app.ProductUpdatedData
		json.Unmarshal(e.Data, &d)
		switch d.Change {
		case "created":
			return "New product: " + d.Name
		case "deleted":
			return "Product removed: " + d.Name
		}
		return "Product changed: " + d.Name
	case app.PaymentReceived:
		var d app.PaymentReceivedData
		json.Unmarshal(e.Data, &d)
		return "Payment of " + money(d.Amount, d.Currency) + " for order " + d.OrderNumber
	case app.DeliveryStarted:
		var d app.DeliveryStartedData
		json.Unmarshal(e.Data, &d)
		return join("Order "+d.OrderNumber+" is on its way", "with "+d.Assignee, d.Assignee != "")
	case app.DeliveryCompleted:
		var d app.DeliveryCompletedData
		json.Unmarshal(e.Data, &d)
		if d.Status == "failed" {
			return "Delivery of order " + d.OrderNumber + " failed"
		}
		return "Order " + d.OrderNumber + " delivered"
	case app.BotConnected:
		var d app.BotConnectedData
		json.Unmarshal(e.Data, &d)
		return "WhatsApp connected as " + orDefault(d.Phone, d.Name)
	case app.BotDisconnected:
		var d app.BotDisconnectedData
		json.Unmarshal(e.Data, &d)
		if d.LoggedOut {
			return "WhatsApp logged out: pair the phone again"
		}
		return join("WhatsApp disconnected", d.Reason, d.Reason != "")
	}
	return sentence(strings.ReplaceAll(string(e.Type), "_", " "))
}

// join is "head: tail" when ok, else head.
func join(head, tail string, ok bool) string {
	if !ok {
		return head
	}
	return head + ": " + tail
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// money writes an amount in minor units: 1250 USD is "12.50 USD".
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return strings.TrimSpace(fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency))
}

// auditActions are the actions the audit filter suggests, and their words.
var auditActions = []struct{ action, words string }{
	{"user.create", "User added"},
	{"user.update", "User changed"},
	{"user.delete", "User removed"},
	{"user.password", "Password changed"},
	{"user.login", "Signed in"},
	{"user.sign_out_everywhere", "Signed out everywhere"},
	{"api_key.create", "API key created"},
	{"api_key.revoke", "API key revoked"},
	{"product.create", "Product added"},
	{"setting.set", "Setting changed"},
	{"webhook.create", "Webhook added"},
	{"dead_letter.retry", "Failed job retried"},
	{"dead_letter.discard", "Failed job discarded"},
}

// auditWords is an action in words; an unknown action keeps its name.
func auditWords(action string) string {
	for _, a := range auditActions {
		if a.action == action {
			return a.words
		}
	}
	return action
}

// auditSubject is the human name of what an audit row is about, from the
// row's own before/after (a user's email, a product's or key's name, a
// webhook's URL), else from names, else "".
func auditSubject(entityType, entityID string, before, after json.RawMessage, names map[string]string) string {
	for _, doc := range []json.RawMessage{after, before} {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil {
			continue
		}
		for _, k := range []string{"email", "name", "url"} {
			if v, ok := m[k].(string); ok && v != "" {
				return v
			}
		}
		if q, ok := m["queue"].(string); ok && entityType == "dead_letter" {
			return "a job in " + queueLabel(q)
		}
	}
	if n := names[entityID]; n != "" {
		return n
	}
	if entityType == "setting" {
		return strings.ReplaceAll(entityID, "_", " ")
	}
	return ""
}

// mediaKindWords name a kind of media file: on a card, one and many.
var mediaKindWords = map[app.MediaKind][2]string{
	app.MediaImage:    {"Picture", "pictures"},
	app.MediaVideo:    {"Video", "videos"},
	app.MediaAudio:    {"Audio", "audio files"},
	app.MediaDocument: {"Document", "documents"},
}

// mediaTypeWords say what a file is, by the type its bytes showed.
var mediaTypeWords = map[string]string{
	"image/jpeg": "JPEG picture", "image/png": "PNG picture", "image/webp": "WebP picture", "image/gif": "GIF picture",
	"video/mp4": "MP4 video", "audio/mp4": "M4A audio", "audio/ogg": "Voice note (OGG Opus)", "audio/mpeg": "MP3 audio",
	"audio/aac": "AAC audio", "application/pdf": "PDF document",
}

// mediaKindLabel is a file's kind on its card: "Picture", "Video",
// "Audio", "PDF".
func mediaKindLabel(m app.Media) string {
	if m.MIME == "application/pdf" {
		return "PDF"
	}
	if w, ok := mediaKindWords[m.Kind]; ok {
		return w[0]
	}
	return "File"
}

// mediaType says what a file is: "JPEG picture", else its kind and type.
func mediaType(m app.Media) string {
	if w, ok := mediaTypeWords[m.MIME]; ok {
		return w
	}
	return mediaKindLabel(m) + " (" + m.MIME + ")"
}

// fileSize writes a file's size for people, as the size caps are written
// (1 MB is 1,024 KB): "1.2 MB", "340 KB", "512 bytes".
func fileSize(n int64) string {
	const kb, mb = 1 << 10, 1 << 20
	switch {
	case n >= mb && n%mb == 0:
		return fmt.Sprintf("%d MB", n/mb)
	case n >= mb:
		return fmt.Sprintf("%.1f MB", float64(n)/mb)
	case n >= kb:
		return fmt.Sprintf("%d KB", (n+kb/2)/kb)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// mediaUseKind names what uses a file: "Product", "Template".
func mediaUseKind(typ string) string {
	switch typ {
	case "product":
		return "Product"
	case "template":
		return "Message template"
	}
	if typ == "" {
		return "Something"
	}
	return strings.ToUpper(typ[:1]) + typ[1:]
}

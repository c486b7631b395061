package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestEveryEventTypeReadsAsASentence(t *testing.T) {
	stock := int64(3)
	cases := map[app.EventType]struct {
		data app.EventData
		want string
	}{
		app.MessageReceived:    {app.MessageReceivedData{Phone: "+263771234567", Text: "hi"}, "Message from +263771234567: “hi”"},
		app.MessageSent:        {app.MessageSentData{Phone: "+263771234567", Text: "Welcome"}, "Message to +263771234567: “Welcome”"},
		app.OrderCreated:       {app.OrderCreatedData{Number: "SB-000123", Total: 1250, Currency: "USD"}, "New order SB-000123: 12.50 USD"},
		app.OrderStatusChanged: {app.OrderStatusChangedData{Number: "SB-000123", From: "pending", To: "confirmed"}, "Order SB-000123 confirmed"},
		app.ProductUpdated:     {app.ProductUpdatedData{Name: "Tea", Change: "created", Stock: &stock}, "New product: Tea"},
		app.PaymentReceived:    {app.PaymentReceivedData{OrderNumber: "SB-000123", Amount: 500, Currency: "ZAR"}, "Payment of 5.00 ZAR for order SB-000123"},
		app.DeliveryStarted:    {app.DeliveryStartedData{OrderNumber: "SB-000123", Assignee: "Tendai"}, "Order SB-000123 is on its way: with Tendai"},
		app.DeliveryCompleted:  {app.DeliveryCompletedData{OrderNumber: "SB-000123", Status: "delivered"}, "Order SB-000123 delivered"},
		app.BotConnected:       {app.BotConnectedData{Phone: "+263770000000"}, "WhatsApp connected as +263770000000"},
		app.BotDisconnected:    {app.BotDisconnectedData{LoggedOut: true}, "WhatsApp logged out: pair the phone again"},
	}
	for _, typ := range app.EventTypes {
		c, ok := cases[typ]
		if !ok {
			t.Errorf("no sentence checked for %s", typ)
			continue
		}
		e, err := app.NewEvent(time.Now(), c.data)
		if err != nil {
			t.Fatal(err)
		}
		row := eventRow(context.Background(), e)
		if row.Summary != c.want {
			t.Errorf("%s reads %q, want %q", typ, row.Summary, c.want)
		}
		if row.Kind == "" || row.Kind == "Event" || strings.Contains(row.Summary, string(typ)) {
			t.Errorf("%s: kind %q, summary %q: the type's name shows", typ, row.Kind, row.Summary)
		}
	}
}

func TestAuditEntriesNameWhatChangedByItsHumanName(t *testing.T) {
	names := map[string]string{"usr_1": "ann@shop.example"}
	for _, tc := range []struct {
		entity, id    string
		before, after string
		want          string
	}{
		{"user", "usr_1", ``, `{"id":"usr_1","email":"ann@shop.example","name":"Ann"}`, "ann@shop.example"},
		{"user", "usr_1", ``, ``, "ann@shop.example"}, // a sign-in carries no data
		{"api_key", "key_1", `{"name":"till-sync"}`, `{"name":"till-sync","revoked_at":"x"}`, "till-sync"},
		{"product", "prd_1", ``, `{"name":"Rooibos","price":1250}`, "Rooibos"},
		{"dead_letter", "m_1", `{"queue":"message_sending","error":"x"}`, ``, "a job in Outgoing messages"},
	} {
		got := auditSubject(tc.entity, tc.id, json.RawMessage(tc.before), json.RawMessage(tc.after), names)
		if got != tc.want {
			t.Errorf("%s %s: subject %q, want %q", tc.entity, tc.id, got, tc.want)
		}
	}
	if got := auditWords("user.create"); got != "User added" {
		t.Errorf("user.create reads %q", got)
	}
}

func TestPanelMessagesAreSentences(t *testing.T) {
	for in, want := range map[string]string{
		"wrong email or password":      "Wrong email or password.",
		"Already a sentence.":          "Already a sentence.",
		"role: must be owner, or more": "Role: must be owner, or more.",
		"":                             "",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

package commerce

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/app/template"
	"smartbot/store"
)

// Customer notifications of an order. Each notice sends the template of
// the same name with the "order_" prefix (payment_received keeps its own
// name), seeded by SeedTemplates and editable by the shop.
//
// All of them are transactional: they tell a customer about an order the
// customer placed, so they go to customers who opted out of marketing too
// (marketing_opt_out is about offers, not about the customer's own
// orders). Every notice is sent at most once per order: the row of
// order_notices that says so commits with the queued message.
const (
	NoticeConfirmation    = "confirmation"
	NoticeReadyForPickup  = "ready_for_pickup"
	NoticeOutForDelivery  = "out_for_delivery"
	NoticeDelivered       = "delivered"
	NoticePaymentReceived = "payment_received"
)

// Notices lists the notices.
var Notices = []string{NoticeConfirmation, NoticeReadyForPickup, NoticeOutForDelivery, NoticeDelivered, NoticePaymentReceived}

// noticeOf is the notice a move to status sends an order's customer, or "".
// A delivery becoming ready is not news to its customer (out_for_delivery
// is), nor a cancellation, which a person explains better than a template.
func noticeOf(fulfilment, status string) string {
	switch status {
	case app.OrderConfirmed:
		return NoticeConfirmation
	case app.OrderReady:
		if fulfilment == app.FulfilmentPickup {
			return NoticeReadyForPickup
		}
	case app.OrderOutForDelivery:
		return NoticeOutForDelivery
	case app.OrderDelivered:
		return NoticeDelivered
	}
	return ""
}

// templateOf is the name of the template a notice sends.
func templateOf(notice string) string {
	if notice == NoticePaymentReceived {
		return notice
	}
	return "order_" + notice
}

// NotifyTx enqueues, in tx, the job that sends order orderID's customer
// the notice (one of Notices). The job sends it once, however often it is
// enqueued or run.
//
// ref names what the notice is about when an order gets it more than once
// (payment_received: the payment's id; each payment is acknowledged once);
// "" for the notices an order gets once.
func (s *Service) NotifyTx(ctx context.Context, tx *store.Tx, orderID, notice, ref string) error {
	if !slices.Contains(Notices, notice) {
		return fmt.Errorf("commerce: unknown notice %q", notice)
	}
	return s.enqueue(ctx, tx, orderJob{OrderID: orderID, Notice: notice, Ref: ref})
}

// sendNoticeTx sends o's customer the notice, in tx, unless it was sent
// already. With no messaging service or no active template of the notice's
// name, it logs and sends nothing; the notice then counts as handled.
func (s *Service) sendNoticeTx(ctx context.Context, tx *store.Tx, o app.Order, notice, ref string) error {
	claimed, err := tx.ClaimOrderNotice(ctx, o.ID, notice, ref)
	if err != nil || !claimed {
		return err
	}
	if s.messaging == nil {
		s.log.Info("order notice not sent: no messaging service", "order", o.Number, "notice", notice)
		return nil
	}
	name := templateOf(notice)
	tpl := messaging.TemplateRef{Name: name, Variables: noticeValues(o)}
	var sent []app.Message
	// A template the shop archived or broke is the shop's to fix; the
	// order's processing goes on without the notice rather than retrying
	// what cannot succeed. The savepoint keeps anything SendTx wrote.
	err = tx.Savepoint(ctx, func() (err error) {
		sent, err = s.messaging.SendTx(ctx, tx, messaging.Outbound{CustomerID: o.CustomerID, Template: &tpl})
		return err
	})
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.EUNAVAILABLE || code == app.ENOTFOUND {
		s.log.Warn("order notice not sent", "order", o.Number, "notice", notice, "template", name, "error", err)
		return nil
	}
	if err != nil {
		return err
	}
	return tx.SetOrderNoticeMessage(ctx, o.ID, notice, ref, sent[0].ID)
}

// noticeValues are the values every notice template may use.
func noticeValues(o app.Order) map[string]any {
	name := o.CustomerName
	if name == "" {
		name = "there"
	}
	balance := max(o.Total-o.Paid, 0)
	return map[string]any{
		"customer_name":    name,
		"order_number":     o.Number,
		"total":            template.Money{Amount: o.Total, Currency: o.Currency},
		"paid":             template.Money{Amount: o.Paid, Currency: o.Currency},
		"balance":          template.Money{Amount: balance, Currency: o.Currency},
		"items":            itemsLine(o.Items),
		"delivery_address": o.DeliveryAddress,
		"status":           strings.ReplaceAll(o.Status, "_", " "),
	}
}

// itemsLine is an order's items on one line: "2 × Coffee, 1 × Tea".
func itemsLine(items []app.OrderItem) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(it.Quantity, 10) + " × " + it.Name)
	}
	return b.String()
}

// seeded are the notices' templates as a new shop gets them.
var seeded = []struct{ name, body string }{
	{"order_confirmation", "Hi {{customer_name}}, thank you for your order {{order_number}}: {{items}}. Total {{total}}. We will let you know when it is on its way."},
	{"order_ready_for_pickup", "Hi {{customer_name}}, your order {{order_number}} is ready for pickup. Total {{total}}, still to pay {{balance}}."},
	{"order_out_for_delivery", "Hi {{customer_name}}, your order {{order_number}} is on its way to {{delivery_address}}."},
	{"order_delivered", "Hi {{customer_name}}, your order {{order_number}} was delivered. Thank you for shopping with us!"},
	{"payment_received", "Hi {{customer_name}}, we received your payment for order {{order_number}}. Paid {{paid}} of {{total}}."},
}

// SeedTemplates adds the notices' templates a shop does not have yet, by
// name, active and editable; a template of the same name the shop already
// has (edited or archived) is left as it is.
func (s *Service) SeedTemplates(ctx context.Context) error {
	templates := template.New(template.Options{DB: s.db})
	return s.db.Write(ctx, func(tx *store.Tx) error {
		for _, sd := range seeded {
			if _, err := s.db.TemplateByName(ctx, sd.name); app.ErrorCode(err) != app.ENOTFOUND {
				if err != nil {
					return err
				}
				continue
			}
			t := app.Template{Name: sd.name, Kind: app.TemplateKindText, Category: app.TemplateCategoryUtility, Body: sd.body,
				Variables: noticeVariables(sd.body)}
			if _, err := templates.CreateTx(ctx, tx, t, "seeded for order notifications"); err != nil {
				return fmt.Errorf("commerce: seed template %s: %w", sd.name, err)
			}
		}
		return nil
	})
}

// noticeVariables declares the variables body uses, of those noticeValues
// gives.
func noticeVariables(body string) []app.TemplateVariable {
	vars := []struct {
		name, typ string
		example   any
	}{
		{"customer_name", app.TemplateVarText, "Tariro"}, {"order_number", app.TemplateVarText, "SB-000123"},
		{"items", app.TemplateVarText, "2 × Coffee, 1 × Tea"}, {"total", app.TemplateVarMoney, 1250}, {"paid", app.TemplateVarMoney, 1250},
		{"balance", app.TemplateVarMoney, 0}, {"delivery_address", app.TemplateVarText, "12 Samora Machel Ave, Harare"},
		{"status", app.TemplateVarText, "confirmed"},
	}
	var out []app.TemplateVariable
	for _, v := range vars {
		if !strings.Contains(body, "{{"+v.name+"}}") {
			continue
		}
		ex, _ := json.Marshal(v.example)
		out = append(out, app.TemplateVariable{Name: v.name, Type: v.typ, Required: true, Example: ex})
	}
	return out
}

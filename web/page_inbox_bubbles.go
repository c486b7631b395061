package web

import (
	"context"
	"encoding/json"
	"strings"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp/simulator"
	"smartbot/web/ui"
)

// How a stored message reads as a bubble of the inbox, and a simulator
// inbox entry as a bubble of the test customer's phone. Both sides share
// outgoingBubble, so the phone shows what the conversation says was sent.

// outPayload is an outgoing message's payload as the messaging service
// stores it: the shape sent and the options a reply is matched against.
type outPayload struct {
	Outgoing app.Outgoing       `json:"outgoing"`
	Options  []messaging.Option `json:"options"`
}

// templateNames finds a template's name for a bubble; it remembers what it
// found, as one conversation sends the same templates again and again.
type templateNames struct {
	s     *Server
	names map[string]string
}

func (s *Server) templateNames() *templateNames {
	return &templateNames{s: s, names: map[string]string{}}
}

func (n *templateNames) name(ctx context.Context, id string) string {
	if name, ok := n.names[id]; ok {
		return name
	}
	name := "a template"
	if t, err := n.s.db.Template(ctx, id); err == nil {
		name = t.Name
	}
	n.names[id] = name
	return name
}

// bubble is a stored message as the conversation shows it.
func (s *Server) bubble(ctx context.Context, m app.Message, names *templateNames) ui.Bubble {
	b := ui.Bubble{ID: m.ID, Out: m.Direction == app.DirectionOut, Kind: m.Kind, Text: m.Text,
		Time: displayTime(ctx, m.CreatedAt), SentBy: m.SentBy}
	if !b.Out {
		inboundBubble(&b, m)
		return b
	}
	b.Status = m.Status
	if m.Status == app.MessageFailed {
		b.Error = sentence(orDefault(m.Error, "WhatsApp did not take this message."))
	}
	var p outPayload
	if json.Unmarshal(m.Payload, &p) == nil {
		outgoingBubble(&b, p.Outgoing)
		if len(b.Options) == 0 && len(b.Poll) == 0 {
			// A template sent as numbered text still has its options:
			// listing them says what the customer may answer.
			for _, o := range p.Options {
				b.Options = append(b.Options, o.Title)
			}
		}
	}
	if m.TemplateID != "" {
		b.Label = "Template " + names.name(ctx, m.TemplateID)
	}
	return b
}

// outgoingBubble fills b with what the message o shows on a phone.
func outgoingBubble(b *ui.Bubble, o app.Outgoing) {
	if o.ReplyToText != "" {
		b.Quote = clipWords(o.ReplyToText, 80)
	}
	if md := o.Media; md != nil {
		if md.Kind == app.MediaImage && md.MediaID != "" {
			b.Thumb = fileURL(md.MediaID, app.VariantThumb)
		} else {
			b.File = kindWord(md.Kind) + ": " + orDefault(md.FileName, "a file")
		}
	}
	switch {
	case o.Poll != nil:
		b.Text, b.Poll = o.Poll.Name, o.Poll.Options
	case o.Interactive != nil:
		in := o.Interactive
		b.Text, b.Footer = in.Body, in.Footer
		if in.Header != nil && in.Header.Type == app.TemplateHeaderText {
			b.Header = in.Header.Text
		}
		for _, btn := range in.Buttons {
			b.Options = append(b.Options, btn.Title)
		}
		if in.List != nil {
			for _, sec := range in.List.Sections {
				for _, row := range sec.Rows {
					b.Options = append(b.Options, row.Title)
				}
			}
		}
	default:
		b.Text = o.Text
	}
}

// inboundBubble fills b with what the customer sent, from the message as
// WhatsApp gave it.
func inboundBubble(b *ui.Bubble, m app.Message) {
	var in app.Inbound
	_ = json.Unmarshal(m.Payload, &in) // an unreadable payload still shows the text
	switch m.Kind {
	case app.MessageKindReply:
		b.Label = "Tapped"
	case app.MessageKindPollVote:
		b.Label = "Voted"
		if len(in.PollOptions) > 0 {
			b.Text = strings.Join(in.PollOptions, ", ")
		}
	case app.MessageKindReaction:
		b.Label, b.Text = "Reacted", orDefault(in.Reaction, "(removed a reaction)")
	case app.MessageKindMedia:
		if in.Media != nil {
			b.File = kindWord(in.Media.Kind) + ": " + orDefault(in.Media.FileName, in.Media.MIME)
		}
		if m.MediaID != "" && in.Media != nil && in.Media.Kind == app.MediaImage {
			b.Thumb, b.File = fileURL(m.MediaID, app.VariantThumb), ""
		}
	case app.MessageKindLocation:
		b.Label = "Location"
	case app.MessageKindContact:
		b.Label = "Contact card"
	case app.MessageKindUnsupported:
		b.Label = "A message Smartbot cannot show (" + orDefault(in.Type, "unknown kind") + ")"
	}
}

// phoneBubble is a message the test customer received, as their phone
// shows it, with the status their phone has.
func phoneBubble(ctx context.Context, r simulator.Received) ui.Bubble {
	b := ui.Bubble{ID: r.WAID, Kind: r.Message.Kind, Time: displayTime(ctx, r.At), Status: r.Status}
	outgoingBubble(&b, r.Message)
	return b
}

// clipWords shortens s to n characters for a quote.
func clipWords(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// kindWord names a file's kind on a bubble: "Video".
func kindWord(k app.MediaKind) string {
	return orDefault(mediaKindWords[k][0], "File")
}

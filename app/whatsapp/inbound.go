package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/reflect/protoreflect"

	"smartbot/app"
)

// onEvent is the whatsmeow event handler. It runs on whatsmeow's goroutine,
// after any decryption transaction committed, so it may wait for an app
// write. Its answer is whatsmeow's "acknowledge this": false leaves a
// message unacknowledged, and WhatsApp sends it again.
func (c *Client) onEvent(evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		in := translateMessage(e)
		if in == nil {
			return true
		}
		if in.Kind == app.MessageKindPollVote {
			c.decryptVote(e, in)
		}
		return c.deliver(in)
	case *events.Receipt:
		r := translateReceipt(e)
		if r == nil {
			return true
		}
		return c.deliver(r)
	case *events.Disconnected:
		// While a QR code is shown, the socket closing is the end of that
		// pairing, which the QR loop reports with its reason.
		c.mu.Lock()
		pairing := c.qr != nil
		c.mu.Unlock()
		if pairing {
			return true
		}
	}
	if cc := translateConnection(evt, c.now); cc != nil {
		if cc.State == app.ConnConnected || cc.State == app.ConnConnecting {
			cc.Phone = ownPhone(c.current())
		}
		c.report(cc)
	}
	return true
}

// decryptVote fills a vote's chosen options (their SHA-256 hashes) from its
// encrypted payload, which needs the poll's secret from the session store.
// A vote that cannot be decrypted (a poll sent before this session) is still
// delivered, without options, rather than refused forever.
func (c *Client) decryptVote(e *events.Message, in *app.Inbound) {
	ctx, cancel := context.WithTimeout(context.Background(), c.handlerTimeout)
	defer cancel()
	vote, err := c.current().DecryptPollVote(ctx, e)
	if err != nil {
		c.log.Warn("whatsapp: cannot decrypt a poll vote", "id", e.Info.ID, "poll", in.PollID, "err", err)
		return
	}
	in.PollHashes = vote.GetSelectedOptions()
}

// translateMessage turns one whatsmeow message into the app's Inbound, or
// nil for what is not a customer writing to the shop: the shop's own
// messages (sent from the phone), groups, broadcasts and status updates.
// Every kind it does not know becomes MessageKindUnsupported with its type.
func translateMessage(e *events.Message) *app.Inbound {
	info := e.Info
	if info.IsFromMe || info.IsGroup || info.Chat.Server == types.BroadcastServer || info.Chat.Server == types.NewsletterServer {
		return nil
	}
	in := &app.Inbound{
		WAID: string(info.ID),
		From: peerOf(info.MessageSource, info.PushName),
		At:   info.Timestamp.UTC(),
	}
	m := e.Message
	var quoted interface{ GetContextInfo() *waE2E.ContextInfo }
	switch {
	case m.GetConversation() != "":
		in.Kind, in.Type, in.Text = app.MessageKindText, "conversation", m.GetConversation()
	case m.GetExtendedTextMessage() != nil:
		x := m.GetExtendedTextMessage()
		in.Kind, in.Type, in.Text, quoted = app.MessageKindText, "extendedTextMessage", x.GetText(), x
	case m.GetImageMessage() != nil:
		x := m.GetImageMessage()
		in.Kind, in.Type, in.Text, quoted = app.MessageKindMedia, "imageMessage", x.GetCaption(), x
		in.Media = inboundMedia(app.MediaImage, x.GetMimetype(), "", x)
	case m.GetVideoMessage() != nil:
		x := m.GetVideoMessage()
		in.Kind, in.Type, in.Text, quoted = app.MessageKindMedia, "videoMessage", x.GetCaption(), x
		in.Media = inboundMedia(app.MediaVideo, x.GetMimetype(), "", x)
	case m.GetAudioMessage() != nil:
		x := m.GetAudioMessage()
		in.Kind, in.Type, quoted = app.MessageKindMedia, "audioMessage", x
		in.Media = inboundMedia(app.MediaAudio, x.GetMimetype(), "", x)
	case m.GetDocumentMessage() != nil:
		x := m.GetDocumentMessage()
		in.Kind, in.Type, in.Text, quoted = app.MessageKindMedia, "documentMessage", x.GetCaption(), x
		in.Media = inboundMedia(app.MediaDocument, x.GetMimetype(), x.GetFileName(), x)
	case m.GetStickerMessage() != nil:
		// A sticker is a WebP image; Type keeps it apart from a photo.
		x := m.GetStickerMessage()
		in.Kind, in.Type, quoted = app.MessageKindMedia, "stickerMessage", x
		in.Media = inboundMedia(app.MediaImage, x.GetMimetype(), "", x)
	case m.GetButtonsResponseMessage() != nil:
		x := m.GetButtonsResponseMessage()
		in.Kind, in.Type, in.ReplyID, in.Text, quoted = app.MessageKindReply, "buttonsResponseMessage", x.GetSelectedButtonID(), x.GetSelectedDisplayText(), x
	case m.GetListResponseMessage() != nil:
		x := m.GetListResponseMessage()
		in.Kind, in.Type, in.ReplyID, in.Text, quoted = app.MessageKindReply, "listResponseMessage", x.GetSingleSelectReply().GetSelectedRowID(), x.GetTitle(), x
	case m.GetTemplateButtonReplyMessage() != nil:
		x := m.GetTemplateButtonReplyMessage()
		in.Kind, in.Type, in.ReplyID, in.Text, quoted = app.MessageKindReply, "templateButtonReplyMessage", x.GetSelectedID(), x.GetSelectedDisplayText(), x
	case m.GetInteractiveResponseMessage() != nil:
		x := m.GetInteractiveResponseMessage()
		in.Kind, in.Type, in.Text, quoted = app.MessageKindReply, "interactiveResponseMessage", x.GetBody().GetText(), x
		in.ReplyID = nativeFlowID(x.GetNativeFlowResponseMessage())
	case m.GetPollUpdateMessage() != nil:
		in.Kind, in.Type = app.MessageKindPollVote, "pollUpdateMessage"
		in.PollID = m.GetPollUpdateMessage().GetPollCreationMessageKey().GetID()
	case m.GetReactionMessage() != nil:
		x := m.GetReactionMessage()
		in.Kind, in.Type, in.Reaction, in.ReactedID = app.MessageKindReaction, "reactionMessage", x.GetText(), x.GetKey().GetID()
	case m.GetLocationMessage() != nil:
		x := m.GetLocationMessage()
		in.Kind, in.Type, quoted = app.MessageKindLocation, "locationMessage", x
		in.Text = locationText(x.GetDegreesLatitude(), x.GetDegreesLongitude(), x.GetName(), x.GetAddress())
	case m.GetContactMessage() != nil:
		x := m.GetContactMessage()
		in.Kind, in.Type, in.Text, quoted = app.MessageKindContact, "contactMessage", x.GetVcard(), x
	default:
		in.Kind, in.Type = app.MessageKindUnsupported, messageType(m)
	}
	if quoted != nil {
		in.QuotedID = quoted.GetContextInfo().GetStanzaID()
	}
	return in
}

// peerOf names who wrote: whatsmeow gives the sender as a LID or a phone
// number, with the other one (when WhatsApp sent it) in SenderAlt. The
// reply goes to the chat the message came from.
func peerOf(src types.MessageSource, pushName string) app.Peer {
	p := app.Peer{Chat: src.Chat.ToNonAD().String(), Name: pushName}
	for _, jid := range []types.JID{src.Sender, src.SenderAlt, src.Chat} {
		switch jid.Server {
		case types.HiddenUserServer:
			if p.LID == "" {
				p.LID = jid.ToNonAD().String()
			}
		case types.DefaultUserServer:
			if p.Phone == "" {
				p.Phone = app.PhoneOfJID(jid.ToNonAD().String())
			}
		}
	}
	return p
}

// nativeFlowID is the id of the button or row a native-flow reply chose: its
// parameters are JSON with an "id"; the flow's name stands in without one.
func nativeFlowID(nf *waE2E.InteractiveResponseMessage_NativeFlowResponseMessage) string {
	var params struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(nf.GetParamsJSON()), &params); err == nil && params.ID != "" {
		return params.ID
	}
	return nf.GetName()
}

// locationText writes a shared location as "lat,long" and its name and
// address, the form a map link or a person reads.
func locationText(lat, long float64, name, address string) string {
	parts := []string{strconv.FormatFloat(lat, 'f', 6, 64) + "," + strconv.FormatFloat(long, 'f', 6, 64)}
	for _, s := range []string{name, address} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// messageType is WhatsApp's name of the message's content: the first field
// set in the protobuf that is not metadata. whatsmeow already unwrapped
// ephemeral, view-once and edited messages.
func messageType(m *waE2E.Message) string {
	name := "unknown"
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if fd.JSONName() == "messageContextInfo" {
			return true
		}
		name = fd.JSONName()
		return false
	})
	return name
}

// translateReceipt turns a delivery, read or played receipt for messages
// the shop sent into a Receipt; other receipts (the shop's own devices,
// retries, server errors) are nil.
func translateReceipt(e *events.Receipt) *app.Receipt {
	var status string
	switch e.Type {
	case types.ReceiptTypeDelivered:
		status = app.MessageDelivered
	case types.ReceiptTypeRead, types.ReceiptTypePlayed:
		status = app.MessageRead
	default:
		return nil
	}
	if e.IsFromMe || e.IsGroup || len(e.MessageIDs) == 0 {
		return nil
	}
	ids := make([]string, len(e.MessageIDs))
	for i, id := range e.MessageIDs {
		ids[i] = string(id)
	}
	return &app.Receipt{Chat: e.Chat.ToNonAD().String(), WAIDs: ids, Status: status, At: e.Timestamp.UTC()}
}

// translateConnection turns whatsmeow's connection events into the app's
// ConnectionChange, or nil for every other event.
func translateConnection(evt any, now func() time.Time) *app.ConnectionChange {
	cc := &app.ConnectionChange{At: now().UTC()}
	switch e := evt.(type) {
	case *events.Connected, *events.KeepAliveRestored:
		cc.State = app.ConnConnected
	case *events.PairSuccess:
		cc.State, cc.Reason = app.ConnConnecting, "paired"
	case *events.Disconnected:
		cc.State, cc.Reason = app.ConnDisconnected, "connection lost; reconnecting"
	case *events.KeepAliveTimeout:
		cc.State, cc.Reason = app.ConnConnecting, fmt.Sprintf("WhatsApp stopped answering (%d keep-alives missed)", e.ErrorCount)
	case *events.ManualLoginReconnect:
		cc.State, cc.Reason = app.ConnConnecting, "reconnecting"
	case *events.LoggedOut:
		cc.State, cc.Reason = app.ConnLoggedOut, "logged out: "+e.Reason.String()
	case *events.StreamReplaced:
		cc.State, cc.Reason = app.ConnDisconnected, "stream replaced: this session was opened somewhere else"
	case *events.TemporaryBan:
		cc.State, cc.Reason = app.ConnBanned, "temporarily banned: "+e.Code.String()
		cc.Until = cc.At.Add(e.Expire)
	case *events.ConnectFailure:
		cc.State, cc.Reason = app.ConnDisconnected, fmt.Sprintf("connection refused: %s %s", e.Reason, e.Message)
	case *events.ClientOutdated:
		cc.State, cc.Reason = app.ConnDisconnected, "WhatsApp refused this client version; update Smartbot"
	case *events.StreamError:
		cc.State, cc.Reason = app.ConnDisconnected, "stream error "+e.Code
	case *events.CATRefreshError:
		cc.State, cc.Reason = app.ConnDisconnected, fmt.Sprintf("cannot refresh the connection token: %v", e.Error)
	default:
		return nil
	}
	return cc
}

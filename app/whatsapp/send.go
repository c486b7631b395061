package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"smartbot/app"
)

// ready is the whatsmeow client when it can send now.
func (c *Client) ready() (*whatsmeow.Client, error) {
	wa := c.current()
	if wa.Store.ID == nil {
		return nil, app.ErrNotPaired
	}
	if !wa.IsConnected() || !wa.IsLoggedIn() {
		return nil, app.ErrNotConnected
	}
	return wa, nil
}

// Send sends one message under the caller's WhatsApp id, so a retry of a
// send that did reach WhatsApp is the same message, not a second one.
func (c *Client) Send(ctx context.Context, m app.Outgoing) (app.SendResult, error) {
	if m.WAID == "" {
		return app.SendResult{}, &app.SendError{Permanent: true, Reason: "the message has no WhatsApp id"}
	}
	wa, err := c.ready()
	if err != nil {
		return app.SendResult{}, err
	}
	to, err := parseJID(m.To)
	if err != nil {
		return app.SendResult{}, err
	}
	var upload *whatsmeow.UploadResponse
	if m.Media != nil && m.Kind != app.MessageKindReaction {
		if upload, err = c.upload(ctx, wa, m.Media); err != nil {
			return app.SendResult{}, err
		}
	}
	msg, err := buildMessage(wa, to, m, upload)
	if err != nil {
		return app.SendResult{}, err
	}
	resp, err := wa.SendMessage(ctx, to, msg, whatsmeow.SendRequestExtra{ID: types.MessageID(m.WAID)})
	if err != nil {
		return app.SendResult{}, sendError("send", err)
	}
	return app.SendResult{WAID: string(resp.ID), At: resp.Timestamp.UTC()}, nil
}

// upload encrypts and uploads the stored variant of a file. A file that
// cannot be read will not get better by retrying.
func (c *Client) upload(ctx context.Context, wa *whatsmeow.Client, media *app.OutgoingMedia) (*whatsmeow.UploadResponse, error) {
	mediaType, ok := mediaTypes[media.Kind]
	if !ok {
		return nil, &app.SendError{Permanent: true, Reason: fmt.Sprintf("WhatsApp takes no %q files", media.Kind)}
	}
	data, err := os.ReadFile(media.Path)
	if err != nil {
		return nil, &app.SendError{Permanent: true, Reason: "read media " + media.MediaID, Err: err}
	}
	resp, err := wa.Upload(ctx, data, mediaType)
	if err != nil {
		return nil, sendError("upload media "+media.MediaID, err)
	}
	return &resp, nil
}

// builder is the part of whatsmeow's client that builds messages: polls
// get a fresh secret, reactions a key that says whose message it is.
type builder interface {
	BuildPollCreation(name string, optionNames []string, selectableOptionCount int) *waE2E.Message
	BuildReaction(chat, sender types.JID, id types.MessageID, reaction string) *waE2E.Message
}

// buildMessage makes the protobuf of an outgoing message; upload is the
// uploaded file, when m has one.
func buildMessage(b builder, to types.JID, m app.Outgoing, upload *whatsmeow.UploadResponse) (*waE2E.Message, error) {
	switch {
	case m.Kind == app.MessageKindReaction:
		if m.ReplyTo == "" {
			return nil, &app.SendError{Permanent: true, Reason: "a reaction names no message"}
		}
		// The reaction is to a message in this chat; a customer's message
		// is theirs, so the key names them as its sender.
		return b.BuildReaction(to, to, types.MessageID(m.ReplyTo), m.Text), nil
	case m.Poll != nil:
		if len(m.Poll.Options) < 2 {
			return nil, &app.SendError{Permanent: true, Reason: "a poll needs at least two options"}
		}
		return b.BuildPollCreation(m.Poll.Name, m.Poll.Options, m.Poll.SelectableCount), nil
	case m.Interactive != nil:
		return interactiveMessage(m, quote(m, to), upload), nil
	case m.Media != nil:
		if upload == nil {
			return nil, &app.SendError{Permanent: true, Reason: "the file was not uploaded"}
		}
		return mediaMessage(m.Media, m.Text, upload, quote(m, to)), nil
	}
	if ci := quote(m, to); ci != nil {
		return &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String(m.Text), ContextInfo: ci}}, nil
	}
	return &waE2E.Message{Conversation: proto.String(m.Text)}, nil
}

// quote is the context that makes a message a reply to m.ReplyTo, or nil.
func quote(m app.Outgoing, to types.JID) *waE2E.ContextInfo {
	if m.ReplyTo == "" {
		return nil
	}
	return &waE2E.ContextInfo{
		StanzaID:      proto.String(m.ReplyTo),
		Participant:   proto.String(to.ToNonAD().String()),
		QuotedMessage: &waE2E.Message{Conversation: proto.String(m.ReplyToText)},
	}
}

// mediaMessage is the image, video, audio or document message of an
// uploaded file, with its caption and inline thumbnail.
func mediaMessage(media *app.OutgoingMedia, caption string, up *whatsmeow.UploadResponse, ci *waE2E.ContextInfo) *waE2E.Message {
	var captionPtr *string
	if caption != "" {
		captionPtr = proto.String(caption)
	}
	var thumb []byte
	if len(media.Thumbnail) > 0 {
		thumb = media.Thumbnail
	}
	switch media.Kind {
	case app.MediaImage:
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			Mimetype: proto.String(media.MIME), Caption: captionPtr, JPEGThumbnail: thumb,
			Width: dimension(media.Width), Height: dimension(media.Height), ContextInfo: ci,
		}}
	case app.MediaVideo:
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			Mimetype: proto.String(media.MIME), Caption: captionPtr, JPEGThumbnail: thumb,
			Width: dimension(media.Width), Height: dimension(media.Height), ContextInfo: ci,
		}}
	case app.MediaAudio:
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
			Mimetype: proto.String(media.MIME), ContextInfo: ci,
		}}
	}
	name := media.FileName
	if name == "" {
		name = media.MediaID
	}
	return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
		URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
		FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength),
		Mimetype: proto.String(media.MIME), Caption: captionPtr, JPEGThumbnail: thumb,
		FileName: proto.String(name), Title: proto.String(name), ContextInfo: ci,
	}}
}

// dimension is a width or height, absent when unknown.
func dimension(n int) *uint32 {
	if n <= 0 {
		return nil
	}
	return proto.Uint32(uint32(n))
}

// interactiveMessage is a reply-buttons message or a list message. An image
// header needs the uploaded file; without one the header is text.
func interactiveMessage(m app.Outgoing, ci *waE2E.ContextInfo, up *whatsmeow.UploadResponse) *waE2E.Message {
	in := m.Interactive
	if in.List != nil {
		list := &waE2E.ListMessage{
			Description: proto.String(in.Body), ButtonText: proto.String(in.List.Button),
			ListType: waE2E.ListMessage_SINGLE_SELECT.Enum(), ContextInfo: ci,
		}
		if in.Header != nil && in.Header.Text != "" {
			list.Title = proto.String(in.Header.Text)
		}
		if in.Footer != "" {
			list.FooterText = proto.String(in.Footer)
		}
		for _, s := range in.List.Sections {
			section := &waE2E.ListMessage_Section{Title: proto.String(s.Title)}
			for _, r := range s.Rows {
				row := &waE2E.ListMessage_Row{RowID: proto.String(r.ID), Title: proto.String(r.Title)}
				if r.Description != "" {
					row.Description = proto.String(r.Description)
				}
				section.Rows = append(section.Rows, row)
			}
			list.Sections = append(list.Sections, section)
		}
		return &waE2E.Message{ListMessage: list}
	}
	buttons := &waE2E.ButtonsMessage{ContentText: proto.String(in.Body), ContextInfo: ci,
		HeaderType: waE2E.ButtonsMessage_EMPTY.Enum()}
	if in.Footer != "" {
		buttons.FooterText = proto.String(in.Footer)
	}
	for _, b := range in.Buttons {
		buttons.Buttons = append(buttons.Buttons, &waE2E.ButtonsMessage_Button{
			ButtonID:   proto.String(b.ID),
			ButtonText: &waE2E.ButtonsMessage_Button_ButtonText{DisplayText: proto.String(b.Title)},
			Type:       waE2E.ButtonsMessage_Button_RESPONSE.Enum(),
		})
	}
	switch {
	case m.Media != nil && m.Media.Kind == app.MediaImage && up != nil:
		buttons.HeaderType = waE2E.ButtonsMessage_IMAGE.Enum()
		buttons.Header = &waE2E.ButtonsMessage_ImageMessage{ImageMessage: mediaMessage(m.Media, "", up, nil).GetImageMessage()}
	case in.Header != nil && in.Header.Text != "":
		buttons.HeaderType = waE2E.ButtonsMessage_TEXT.Enum()
		buttons.Header = &waE2E.ButtonsMessage_Text{Text: in.Header.Text}
	}
	return &waE2E.Message{ButtonsMessage: buttons}
}

// sendError sorts a whatsmeow failure into what the sending pipeline does
// with it: wait for the connection, give up on the message, or retry.
func sendError(what string, err error) error {
	var disconnected *whatsmeow.DisconnectedError
	switch {
	case errors.Is(err, whatsmeow.ErrNotLoggedIn):
		return app.ErrNotPaired
	case errors.Is(err, whatsmeow.ErrNotConnected), errors.As(err, &disconnected):
		return fmt.Errorf("whatsapp: %s: %w: %v", what, app.ErrNotConnected, err)
	case errors.Is(err, whatsmeow.ErrUnknownServer), errors.Is(err, whatsmeow.ErrRecipientADJID),
		errors.Is(err, whatsmeow.ErrBroadcastListUnsupported), errors.Is(err, whatsmeow.ErrInvalidImageFormat),
		strings.Contains(err.Error(), "no LID found"):
		return &app.SendError{Permanent: true, Reason: what + ": WhatsApp refused it", Err: err}
	case errors.Is(err, whatsmeow.ErrServerReturnedError):
		// The server's code follows the sentinel: 4xx other than a timeout
		// or a rate limit are about the message, not the moment.
		var code int
		fmt.Sscanf(strings.TrimPrefix(err.Error(), whatsmeow.ErrServerReturnedError.Error()), "%d", &code)
		if code >= 400 && code < 500 && code != 408 && code != 429 {
			return &app.SendError{Permanent: true, Reason: fmt.Sprintf("%s: WhatsApp answered %d", what, code), Err: err}
		}
	}
	return &app.SendError{Reason: what, Err: err}
}

// Typing shows "typing…" in a chat, or clears it.
func (c *Client) Typing(ctx context.Context, chat string, on bool) error {
	wa, err := c.ready()
	if err != nil {
		return err
	}
	jid, err := parseJID(chat)
	if err != nil {
		return err
	}
	state := types.ChatPresencePaused
	if on {
		state = types.ChatPresenceComposing
	}
	if err := wa.SendChatPresence(ctx, jid, state, types.ChatPresenceMediaText); err != nil {
		return sendError("typing", err)
	}
	return nil
}

// MarkRead sends read receipts (blue ticks) for messages sender wrote in
// chat.
func (c *Client) MarkRead(ctx context.Context, chat, sender string, waIDs []string) error {
	if len(waIDs) == 0 {
		return nil
	}
	wa, err := c.ready()
	if err != nil {
		return err
	}
	chatJID, err := parseJID(chat)
	if err != nil {
		return err
	}
	senderJID := chatJID
	if sender != "" && sender != chat {
		if senderJID, err = parseJID(sender); err != nil {
			return err
		}
	}
	ids := make([]types.MessageID, len(waIDs))
	for i, id := range waIDs {
		ids[i] = types.MessageID(id)
	}
	if err := wa.MarkRead(ctx, ids, time.Now(), chatJID, senderJID); err != nil {
		return sendError("mark read", err)
	}
	return nil
}

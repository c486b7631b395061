package whatsapp

import (
	"errors"
	"fmt"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	"smartbot/app"
	"smartbot/store/storetest"
)

func TestOutgoingMessagesBuildTheirWhatsAppShape(t *testing.T) {
	wa := whatsmeow.NewClient(pairedDevice(t, storetest.New(t)), nil)
	to := customerPN
	up := &whatsmeow.UploadResponse{URL: "https://x/y", DirectPath: "/y", FileLength: 10}

	msg, err := buildMessage(wa, to, app.Outgoing{WAID: "W1", Kind: "text", Text: "hello", ReplyTo: "3EB0IN", ReplyToText: "hi"}, nil)
	if err != nil || msg.GetExtendedTextMessage().GetText() != "hello" || msg.GetExtendedTextMessage().GetContextInfo().GetStanzaID() != "3EB0IN" {
		t.Errorf("reply: %v (%v)", msg, err)
	}
	msg, _ = buildMessage(wa, to, app.Outgoing{Kind: "text", Text: "plain"}, nil)
	if msg.GetConversation() != "plain" {
		t.Errorf("text: %v", msg)
	}
	msg, _ = buildMessage(wa, to, app.Outgoing{Kind: "poll", Poll: &app.OutgoingPoll{Name: "Size?", Options: []string{"S", "M"}, SelectableCount: 1}}, nil)
	if p := msg.GetPollCreationMessage(); p.GetName() != "Size?" || len(p.GetOptions()) != 2 || len(msg.GetMessageContextInfo().GetMessageSecret()) == 0 {
		t.Errorf("poll: %v", msg)
	}
	msg, _ = buildMessage(wa, to, app.Outgoing{Kind: "reaction", Text: "👍", ReplyTo: "3EB0IN"}, nil)
	if r := msg.GetReactionMessage(); r.GetText() != "👍" || r.GetKey().GetID() != "3EB0IN" {
		t.Errorf("reaction: %v", msg)
	}
	msg, _ = buildMessage(wa, to, app.Outgoing{Kind: "media", Text: "new stock",
		Media: &app.OutgoingMedia{Kind: app.MediaImage, MIME: "image/jpeg", Width: 800, Height: 600, Thumbnail: []byte{0xff, 0xd8}}}, up)
	if im := msg.GetImageMessage(); im.GetCaption() != "new stock" || im.GetWidth() != 800 || len(im.GetJPEGThumbnail()) != 2 || im.GetDirectPath() != "/y" {
		t.Errorf("image: %v", msg)
	}
	msg, _ = buildMessage(wa, to, app.Outgoing{Kind: "interactive", Interactive: &app.OutgoingInteractive{Body: "Pay?",
		Buttons: []app.TemplateButton{{ID: "pay_now", Title: "Pay now"}}}}, nil)
	if b := msg.GetButtonsMessage(); b.GetContentText() != "Pay?" || b.GetButtons()[0].GetButtonID() != "pay_now" {
		t.Errorf("buttons: %v", msg)
	}
	msg, _ = buildMessage(wa, to, app.Outgoing{Kind: "interactive", Interactive: &app.OutgoingInteractive{Body: "Menu",
		List: &app.TemplateList{Button: "View", Sections: []app.TemplateSection{{Title: "Drinks", Rows: []app.TemplateRow{{ID: "p_coffee", Title: "Coffee"}}}}}}}, nil)
	if l := msg.GetListMessage(); l.GetButtonText() != "View" || l.GetSections()[0].GetRows()[0].GetRowID() != "p_coffee" {
		t.Errorf("list: %v", msg)
	}
}

func TestSendErrorsSayWhetherToRetry(t *testing.T) {
	for _, c := range []struct {
		err       error
		want      error
		permanent bool
	}{
		{whatsmeow.ErrNotConnected, app.ErrNotConnected, false},
		{&whatsmeow.DisconnectedError{Action: "message send"}, app.ErrNotConnected, false},
		{whatsmeow.ErrNotLoggedIn, app.ErrNotPaired, false},
		{fmt.Errorf("%w %s", whatsmeow.ErrUnknownServer, "g.us"), nil, true},
		{fmt.Errorf("no LID found for %s from server", types.JID{User: "1", Server: types.DefaultUserServer}), nil, true},
		{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 400), nil, true},
		{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 500), nil, false},
		{whatsmeow.ErrMessageTimedOut, nil, false},
	} {
		got := sendError("send", c.err)
		if c.want != nil {
			if !errors.Is(got, c.want) {
				t.Errorf("%v: %v, want %v", c.err, got, c.want)
			}
			continue
		}
		var se *app.SendError
		if !errors.As(got, &se) || se.Permanent != c.permanent {
			t.Errorf("%v: %#v, want permanent=%v", c.err, got, c.permanent)
		}
	}
}

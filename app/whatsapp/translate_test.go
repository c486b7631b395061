package whatsapp

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"smartbot/app"
)

var (
	customerLID = types.JID{User: "123456789012345", Server: types.HiddenUserServer}
	customerPN  = types.JID{User: "263771234567", Server: types.DefaultUserServer}
	sentAt      = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
)

// fromCustomer is a message event as whatsmeow gives one from a customer
// who writes from their LID, with the phone number beside it.
func fromCustomer(m *waE2E.Message) *events.Message {
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: customerLID, Sender: customerLID, SenderAlt: customerPN},
			ID:            "3EB0AA11", PushName: "Tariro", Timestamp: sentAt,
		},
		Message: m,
	}
}

func quotedContext(id string) *waE2E.ContextInfo {
	return &waE2E.ContextInfo{StanzaID: proto.String(id)}
}

func TestEveryMessageKindTranslatesToTheAppsInbound(t *testing.T) {
	media := func(kind app.MediaKind, mime string, size int64, name string) *app.InboundMedia {
		return &app.InboundMedia{Kind: kind, MIME: mime, Size: size, FileName: name}
	}
	file := func() (string, []byte, []byte, []byte) {
		return "/v/t62/abc?ccb=11", []byte("media-key"), []byte("sha"), []byte("enc-sha")
	}
	path, key, sha, enc := file()
	for _, c := range []struct {
		name string
		msg  *waE2E.Message
		want app.Inbound // From, WAID, At and Media.Ref are checked apart
	}{
		{"conversation", &waE2E.Message{Conversation: proto.String("hi")},
			app.Inbound{Kind: "text", Type: "conversation", Text: "hi"}},
		{"extended text quoting a message", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("this one"), ContextInfo: quotedContext("3EB0PREV")}},
			app.Inbound{Kind: "text", Type: "extendedTextMessage", Text: "this one", QuotedID: "3EB0PREV"}},
		{"image with caption", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("my receipt"), Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(2048),
			DirectPath: proto.String(path), MediaKey: key, FileSHA256: sha, FileEncSHA256: enc}},
			app.Inbound{Kind: "media", Type: "imageMessage", Text: "my receipt", Media: media(app.MediaImage, "image/jpeg", 2048, "")}},
		{"video", &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Mimetype: proto.String("video/mp4"), FileLength: proto.Uint64(900000), DirectPath: proto.String(path)}},
			app.Inbound{Kind: "media", Type: "videoMessage", Media: media(app.MediaVideo, "video/mp4", 900000, "")}},
		{"voice note", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/ogg; codecs=opus"), FileLength: proto.Uint64(5000), DirectPath: proto.String(path)}},
			app.Inbound{Kind: "media", Type: "audioMessage", Media: media(app.MediaAudio, "audio/ogg; codecs=opus", 5000, "")}},
		{"document", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileLength: proto.Uint64(7000), FileName: proto.String("proof.pdf"), DirectPath: proto.String(path)}},
			app.Inbound{Kind: "media", Type: "documentMessage", Media: media(app.MediaDocument, "application/pdf", 7000, "proof.pdf")}},
		{"sticker", &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp"), FileLength: proto.Uint64(300), DirectPath: proto.String(path)}},
			app.Inbound{Kind: "media", Type: "stickerMessage", Media: media(app.MediaImage, "image/webp", 300, "")}},
		{"reply button", &waE2E.Message{ButtonsResponseMessage: &waE2E.ButtonsResponseMessage{SelectedButtonID: proto.String("pay_now"),
			Response: &waE2E.ButtonsResponseMessage_SelectedDisplayText{SelectedDisplayText: "Pay now"}, ContextInfo: quotedContext("3EB0BTNS")}},
			app.Inbound{Kind: "reply", Type: "buttonsResponseMessage", ReplyID: "pay_now", Text: "Pay now", QuotedID: "3EB0BTNS"}},
		{"list row", &waE2E.Message{ListResponseMessage: &waE2E.ListResponseMessage{Title: proto.String("Coffee"),
			SingleSelectReply: &waE2E.ListResponseMessage_SingleSelectReply{SelectedRowID: proto.String("p_coffee")}}},
			app.Inbound{Kind: "reply", Type: "listResponseMessage", ReplyID: "p_coffee", Text: "Coffee"}},
		{"template button", &waE2E.Message{TemplateButtonReplyMessage: &waE2E.TemplateButtonReplyMessage{SelectedID: proto.String("help"), SelectedDisplayText: proto.String("Help")}},
			app.Inbound{Kind: "reply", Type: "templateButtonReplyMessage", ReplyID: "help", Text: "Help"}},
		{"native flow reply", &waE2E.Message{InteractiveResponseMessage: &waE2E.InteractiveResponseMessage{
			Body: &waE2E.InteractiveResponseMessage_Body{Text: proto.String("Track order")},
			InteractiveResponseMessage: &waE2E.InteractiveResponseMessage_NativeFlowResponseMessage_{NativeFlowResponseMessage: &waE2E.InteractiveResponseMessage_NativeFlowResponseMessage{
				Name: proto.String("quick_reply"), ParamsJSON: proto.String(`{"id":"track"}`)}}}},
			app.Inbound{Kind: "reply", Type: "interactiveResponseMessage", ReplyID: "track", Text: "Track order"}},
		{"poll vote", &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{PollCreationMessageKey: &waCommon.MessageKey{ID: proto.String("3EB0POLL")}}},
			app.Inbound{Kind: "poll_vote", Type: "pollUpdateMessage", PollID: "3EB0POLL"}},
		{"reaction", &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍"), Key: &waCommon.MessageKey{ID: proto.String("3EB0MINE")}}},
			app.Inbound{Kind: "reaction", Type: "reactionMessage", Reaction: "👍", ReactedID: "3EB0MINE"}},
		{"location", &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(-17.829), DegreesLongitude: proto.Float64(31.052), Name: proto.String("Home")}},
			app.Inbound{Kind: "location", Type: "locationMessage", Text: "-17.829000,31.052000 Home"}},
		{"contact", &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Rudo"), Vcard: proto.String("BEGIN:VCARD\nTEL:+263772222222\nEND:VCARD")}},
			app.Inbound{Kind: "contact", Type: "contactMessage", Text: "BEGIN:VCARD\nTEL:+263772222222\nEND:VCARD"}},
		{"an unknown kind keeps its type", &waE2E.Message{MessageContextInfo: &waE2E.MessageContextInfo{}, PollCreationMessage: &waE2E.PollCreationMessage{Name: proto.String("?")}},
			app.Inbound{Kind: "unsupported", Type: "pollCreationMessage"}},
		{"another unknown kind", &waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{}},
			app.Inbound{Kind: "unsupported", Type: "contactsArrayMessage"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := translateMessage(fromCustomer(c.msg))
			if got == nil {
				t.Fatal("dropped")
			}
			want := c.want
			want.WAID, want.At = "3EB0AA11", sentAt
			want.From = app.Peer{Chat: "123456789012345@lid", Phone: "+263771234567", LID: "123456789012345@lid", Name: "Tariro"}
			if got.Media != nil && want.Media != nil {
				var ref mediaRef
				if err := json.Unmarshal(got.Media.Ref, &ref); err != nil || ref.DirectPath != path || ref.Type == "" {
					t.Errorf("media ref %s (%v)", got.Media.Ref, err)
				}
				want.Media.Ref = got.Media.Ref
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestTheMediaRefCarriesTheKeysDownloadNeeds(t *testing.T) {
	in := translateMessage(fromCustomer(&waE2E.Message{ImageMessage: &waE2E.ImageMessage{
		DirectPath: proto.String("/v/x"), MediaKey: []byte{1}, FileSHA256: []byte{2}, FileEncSHA256: []byte{3}, FileLength: proto.Uint64(9)}}))
	var ref mediaRef
	if err := json.Unmarshal(in.Media.Ref, &ref); err != nil {
		t.Fatal(err)
	}
	want := mediaRef{Type: "WhatsApp Image Keys", DirectPath: "/v/x", MediaKey: []byte{1}, FileSHA256: []byte{2}, FileEncSHA256: []byte{3}, FileLength: 9}
	if !reflect.DeepEqual(ref, want) {
		t.Errorf("ref %+v, want %+v", ref, want)
	}
}

func TestACustomerOnAPhoneNumberJIDHasNoLID(t *testing.T) {
	e := fromCustomer(&waE2E.Message{Conversation: proto.String("hi")})
	device := customerPN
	device.Device = 3
	e.Info.Chat, e.Info.Sender, e.Info.SenderAlt = customerPN, device, types.JID{}
	got := translateMessage(e).From
	if want := (app.Peer{Chat: "263771234567@s.whatsapp.net", Phone: "+263771234567", Name: "Tariro"}); got != want {
		t.Errorf("from %+v, want %+v", got, want)
	}
}

func TestWhatIsNotACustomerWritingIsLeftOut(t *testing.T) {
	for name, change := range map[string]func(*events.Message){
		"sent from the shop's phone": func(e *events.Message) { e.Info.IsFromMe = true },
		"a group":                    func(e *events.Message) { e.Info.IsGroup = true },
		"a status update":            func(e *events.Message) { e.Info.Chat = types.StatusBroadcastJID },
	} {
		e := fromCustomer(&waE2E.Message{Conversation: proto.String("hi")})
		change(e)
		if got := translateMessage(e); got != nil {
			t.Errorf("%s: translated to %+v", name, got)
		}
	}
}

func TestReceiptsForTheShopsMessagesMoveThemForward(t *testing.T) {
	receipt := func(typ types.ReceiptType) *events.Receipt {
		return &events.Receipt{MessageSource: types.MessageSource{Chat: customerLID, Sender: customerLID},
			MessageIDs: []types.MessageID{"3EB0A", "3EB0B"}, Timestamp: sentAt, Type: typ}
	}
	for typ, status := range map[types.ReceiptType]string{
		types.ReceiptTypeDelivered: "delivered",
		types.ReceiptTypeRead:      "read",
		types.ReceiptTypePlayed:    "read",
		types.ReceiptTypeReadSelf:  "",
		types.ReceiptTypeRetry:     "",
		types.ReceiptTypeSender:    "",
	} {
		got := translateReceipt(receipt(typ))
		if status == "" {
			if got != nil {
				t.Errorf("receipt %q: %+v, want none", typ, got)
			}
			continue
		}
		want := &app.Receipt{Chat: "123456789012345@lid", WAIDs: []string{"3EB0A", "3EB0B"}, Status: status, At: sentAt}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("receipt %q: %+v, want %+v", typ, got, want)
		}
	}
	own := receipt(types.ReceiptTypeRead)
	own.IsFromMe = true
	if got := translateReceipt(own); got != nil {
		t.Errorf("the shop's own read receipt: %+v", got)
	}
}

func TestConnectionEventsBecomeConnectionChanges(t *testing.T) {
	now := func() time.Time { return sentAt }
	for _, c := range []struct {
		evt          any
		state, cause string
		until        time.Time
	}{
		{&events.Connected{}, "connected", "", time.Time{}},
		{&events.KeepAliveRestored{}, "connected", "", time.Time{}},
		{&events.PairSuccess{}, "connecting", "paired", time.Time{}},
		{&events.Disconnected{}, "disconnected", "connection lost; reconnecting", time.Time{}},
		{&events.KeepAliveTimeout{ErrorCount: 3}, "connecting", "WhatsApp stopped answering (3 keep-alives missed)", time.Time{}},
		{&events.LoggedOut{Reason: events.ConnectFailureLoggedOut}, "logged_out", "logged out: 401: logged out from another device", time.Time{}},
		{&events.StreamReplaced{}, "disconnected", "stream replaced: this session was opened somewhere else", time.Time{}},
		{&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 2 * time.Hour}, "banned",
			"temporarily banned: " + events.TempBanSentToTooManyPeople.String(), sentAt.Add(2 * time.Hour)},
		{&events.ClientOutdated{}, "disconnected", "WhatsApp refused this client version; update Smartbot", time.Time{}},
		{&events.StreamError{Code: "503"}, "disconnected", "stream error 503", time.Time{}},
	} {
		got := translateConnection(c.evt, now)
		if got == nil {
			t.Errorf("%T: no change", c.evt)
			continue
		}
		if got.State != c.state || got.Reason != c.cause || !got.Until.Equal(c.until) || !got.At.Equal(sentAt) {
			t.Errorf("%T: %+v, want state %q reason %q until %v", c.evt, got, c.state, c.cause, c.until)
		}
	}
	if got := translateConnection(&events.PushNameSetting{}, now); got != nil {
		t.Errorf("an unrelated event became %+v", got)
	}
}

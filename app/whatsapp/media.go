package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.mau.fi/whatsmeow"

	"smartbot/app"
)

// mediaRef is what Download needs of an inbound file, kept as the opaque
// InboundMedia.Ref: WhatsApp's path and keys, not the bytes.
type mediaRef struct {
	Type          string `json:"type"` // whatsmeow's media type: its key derivation label
	DirectPath    string `json:"direct_path"`
	MediaKey      []byte `json:"media_key"`
	FileSHA256    []byte `json:"file_sha256"`
	FileEncSHA256 []byte `json:"file_enc_sha256"`
	FileLength    uint64 `json:"file_length"`
}

// downloadable is what whatsmeow's image, video, audio, document and
// sticker messages have in common.
type downloadable interface {
	whatsmeow.DownloadableMessage
	GetFileLength() uint64
}

// mediaTypes maps the app's media kinds to whatsmeow's (stickers are
// images to both).
var mediaTypes = map[app.MediaKind]whatsmeow.MediaType{
	app.MediaImage:    whatsmeow.MediaImage,
	app.MediaVideo:    whatsmeow.MediaVideo,
	app.MediaAudio:    whatsmeow.MediaAudio,
	app.MediaDocument: whatsmeow.MediaDocument,
}

// inboundMedia describes the file of an inbound message.
func inboundMedia(kind app.MediaKind, mime, fileName string, x downloadable) *app.InboundMedia {
	ref, _ := json.Marshal(mediaRef{
		Type:          string(mediaTypes[kind]),
		DirectPath:    x.GetDirectPath(),
		MediaKey:      x.GetMediaKey(),
		FileSHA256:    x.GetFileSHA256(),
		FileEncSHA256: x.GetFileEncSHA256(),
		FileLength:    x.GetFileLength(),
	})
	return &app.InboundMedia{Kind: kind, MIME: mime, Size: int64(x.GetFileLength()), FileName: fileName, Ref: ref}
}

// Download fetches and decrypts the file of an inbound message. whatsmeow
// checks the file's hashes, so what it returns is what the customer sent.
func (c *Client) Download(ctx context.Context, m *app.InboundMedia) (io.ReadCloser, error) {
	if m == nil || len(m.Ref) == 0 {
		return nil, errors.New("whatsapp: download: the message has no file")
	}
	var ref mediaRef
	if err := json.Unmarshal(m.Ref, &ref); err != nil || ref.DirectPath == "" {
		return nil, fmt.Errorf("whatsapp: download: unreadable media reference: %w", err)
	}
	wa := c.current()
	if wa.Store.ID == nil {
		return nil, app.ErrNotPaired
	}
	if !wa.IsConnected() {
		return nil, app.ErrNotConnected
	}
	data, err := wa.DownloadMediaWithPath(ctx, ref.DirectPath, ref.FileEncSHA256, ref.FileSHA256, ref.MediaKey,
		int(ref.FileLength), whatsmeow.MediaType(ref.Type), "")
	if err != nil {
		return nil, fmt.Errorf("whatsapp: download %s: %w", ref.DirectPath, err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

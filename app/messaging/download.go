package messaging

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/queue"
	"smartbot/store"
)

// DownloadPrefix starts the body of a media_processing job that fetches the
// file of an inbound message into the media library: "download:msg_…".
// The queue's handler hands such jobs to Download, the others to the media
// service (see Dispatch).
const DownloadPrefix = "download:"

// Dispatch returns the media_processing handler: inbound downloads to
// Download, everything else to process (the media service's).
func (s *Service) Dispatch(process queue.Handler) queue.Handler {
	return func(ctx context.Context, job queue.Job) error {
		if strings.HasPrefix(string(job.Body), DownloadPrefix) {
			return s.Download(ctx, job)
		}
		return process(ctx, job)
	}
}

// enqueueDownload asks for the file of the inbound message m, in tx.
func (s *Service) enqueueDownload(ctx context.Context, tx *store.Tx, m app.Message) error {
	if s.library == nil {
		return nil
	}
	return s.queues.Send(ctx, tx, queue.MediaProcessing, []byte(DownloadPrefix+m.ID))
}

// Download fetches an inbound message's file through the transport and
// keeps it in the media library, where it gets its variants like an
// upload. A file the library refuses (too big, a type it does not take)
// is recorded on the message as the reason, not retried.
func (s *Service) Download(ctx context.Context, job queue.Job) error {
	id := strings.TrimPrefix(string(job.Body), DownloadPrefix)
	m, err := s.db.Message(ctx, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if m.MediaID != "" || m.Error != "" {
		return nil // done already
	}
	var in app.Inbound
	if err := json.Unmarshal(m.Payload, &in); err != nil || in.Media == nil {
		return queue.Permanent(fmt.Errorf("messaging: message %s has no file to download", id))
	}
	t := s.Transport()
	if t == nil || s.Status().State != app.ConnConnected {
		return queue.Snooze(30 * time.Second)
	}
	rc, err := t.Download(ctx, in.Media)
	if err != nil {
		return err
	}
	defer rc.Close()
	name := in.Media.FileName
	if name == "" {
		name = string(in.Media.Kind)
	}
	up, err := s.library.Receive(ctx, rc, name)
	if err != nil {
		if c := app.ErrorCode(err); c == app.EINVALID || c == app.EUNSUPPORTED || c == app.ETOOLARGE {
			return s.db.Write(ctx, func(tx *store.Tx) error {
				return tx.SetMessageMedia(ctx, id, "", "The file could not be kept: "+app.ErrorMessage(err))
			})
		}
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.library.CreateTx(ctx, tx, up, media.NewMedia{})
		if err != nil {
			return err
		}
		if err := tx.SetMessageMedia(ctx, id, rec.ID, ""); err != nil {
			return err
		}
		m.MediaID = rec.ID
		s.tellAfterCommit(tx, m)
		return nil
	})
}

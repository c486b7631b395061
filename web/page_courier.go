package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/app/media"
	"smartbot/store"
	"smartbot/web/ui"
)

// The courier's page: /courier/{token}, opened from a link the shop sent
// to a courier who has no account. The link is the credential: every
// request looks its token up again, and once the task has ended the page
// only says so. Its forms are plain posts to the link itself; like every
// form of the panel, a cross-site post is refused by the cross-origin
// protection in front of every route (middleware.go), which goes by the
// browser's Sec-Fetch-Site and Origin headers and so needs no session.
//
// The page shows a customer's name, phone and address: it is never
// cached (render says no-store), and the referrer policy keeps the link
// from leaking to other sites.

func (s *Server) pageCourier(w http.ResponseWriter, r *http.Request) error {
	r = r.WithContext(s.withZone(r.Context()))
	d, err := s.commerce.CourierTask(r.Context(), r.PathValue("token"))
	if err != nil {
		return s.courierFailed(w, r, d, err)
	}
	return s.renderCourier(w, r, http.StatusOK, d, "")
}

// postCourier takes a courier's report: status (in_transit, delivered or
// failed), a reason for failed, and optionally a photo as proof, sent as
// multipart. The link is checked before any of the body is read.
func (s *Server) postCourier(w http.ResponseWriter, r *http.Request) error {
	r = r.WithContext(s.withZone(r.Context()))
	ctx := r.Context()
	token := r.PathValue("token")
	d, err := s.commerce.CourierTask(ctx, token)
	if err != nil {
		return s.courierFailed(w, r, d, err)
	}
	rep, up, err := s.courierForm(w, r)
	defer up.Discard()
	if err != nil {
		return s.courierFailed(w, r, d, err)
	}
	if up != nil {
		alt := "Proof of delivery of order " + d.OrderNumber
		rep.Proof = func(ctx context.Context, tx *store.Tx) (string, error) {
			m, err := s.media.CreateTx(ctx, tx, up, media.NewMedia{Alt: alt})
			return m.ID, err
		}
	}
	if _, err := s.commerce.CourierReport(ctx, token, rep); err != nil {
		return s.courierFailed(w, r, d, err)
	}
	// Post/redirect/get: the page's state says what happened.
	http.Redirect(w, r, "/courier/"+token, http.StatusSeeOther)
	return nil
}

// courierForm reads a report: a plain form, or a multipart one with the
// photo. The photo must be a picture within the media library's cap for
// pictures; the caller discards the upload unless it is kept.
func (s *Server) courierForm(w http.ResponseWriter, r *http.Request) (commerce.CourierReport, *media.Upload, error) {
	var rep commerce.CourierReport
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if err := form(w, r); err != nil {
			return rep, nil, err
		}
		rep.Status, rep.Reason = r.PostForm.Get("status"), r.PostForm.Get("reason")
		return rep, nil, nil
	}
	photoMax := s.media.Limits().For(app.MediaImage)
	if r.ContentLength > photoMax+uploadFormSlack {
		return rep, nil, app.Errorf(app.ETOOLARGE, "the photo is too large: send one of up to %s", byteSize(photoMax))
	}
	r.Body = http.MaxBytesReader(w, r.Body, photoMax+uploadFormSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return rep, nil, &app.Error{Code: errMalformed, Message: "the form could not be read; try again", Err: err}
	}
	var up *media.Upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, up, courierUploadError(err, photoMax)
		}
		switch part.FormName() {
		case "status":
			rep.Status, err = formValue(part, "status", 32)
		case "reason":
			rep.Reason, err = formValue(part, "reason", 1200)
		case "photo":
			if part.FileName() == "" || up != nil {
				continue // the file input, left empty; or a second file
			}
			if up, err = s.media.Receive(r.Context(), part, part.FileName()); err == nil && up.Type().Kind != app.MediaImage {
				err = app.Errorf(app.EUNSUPPORTED, "the proof must be a photo (JPEG, PNG, WebP or GIF); this file is %s", up.Type().MIME)
			}
		}
		if err != nil {
			return rep, up, courierUploadError(err, photoMax)
		}
	}
	return rep, up, nil
}

// courierUploadError explains a broken or oversized upload in the
// courier's terms.
func courierUploadError(err error, photoMax int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return app.Errorf(app.ETOOLARGE, "the photo is too large: send one of up to %s", byteSize(photoMax))
	}
	return uploadError(err)
}

// courierFailed answers an error on the courier's page: the plain 404 for
// a link that does not exist, the page with the message for what the
// courier can act on, and the panel's error page for the rest.
func (s *Server) courierFailed(w http.ResponseWriter, r *http.Request, d app.DeliveryTask, err error) error {
	code := app.ErrorCode(err)
	switch {
	case code == app.ENOTFOUND:
		// Only the link is ever looked up here: an unknown one, or one a
		// newer link replaced since the page was opened.
		return render(w, r, http.StatusNotFound, ui.CourierUnknown())
	case code == app.EINTERNAL:
		return err
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusBadRequest
	}
	// The task as it is now: a refused report may have met a change.
	if now, rerr := s.db.Delivery(r.Context(), d.ID); rerr == nil {
		d = now
	}
	return s.renderCourier(w, r, status, d, sentence(app.ErrorMessage(err)))
}

// renderCourier shows task d as its courier sees it.
func (s *Server) renderCourier(w http.ResponseWriter, r *http.Request, status int, d app.DeliveryTask, errMsg string) error {
	ctx := r.Context()
	p := ui.CourierPage{Action: "/courier/" + r.PathValue("token"), Number: d.OrderNumber, Status: d.Status,
		Finished: finishedDelivery(d.Status), Error: errMsg, MaxPhoto: byteSize(s.media.Limits().For(app.MediaImage))}
	if p.Finished {
		// Once the trip has ended the link shows nothing of the customer.
		p.Outcome = map[string]string{app.DeliveryDone: "Delivered.", app.DeliveryFailed: "Marked as not delivered.",
			app.DeliveryCancelled: "The shop cancelled this delivery."}[d.Status]
		return render(w, r, status, ui.Courier(p))
	}
	o, err := s.db.Order(ctx, d.OrderID)
	if err != nil {
		return err
	}
	p.CustomerName, p.CustomerPhone, p.OrderNotes = o.CustomerName, o.CustomerPhone, o.Notes
	p.Address, p.Notes, p.Courier, p.HasProof = d.Address, d.Notes, d.Assignee.Name, d.ProofMediaID != ""
	p.Scheduled = displayTimePtr(ctx, d.ScheduledFor)
	for _, it := range o.Items {
		p.Items = append(p.Items, ui.CourierItem{Name: it.Name, Quantity: it.Quantity})
	}
	if errMsg == "" && d.Status == app.DeliveryInTransit {
		p.Notice = "You are on your way. Tap Delivered once it is handed over."
	}
	if strings.TrimSpace(p.CustomerName) == "" {
		p.CustomerName = "The customer"
	}
	return render(w, r, status, ui.Courier(p))
}

// finishedDelivery reports whether a task has ended.
func finishedDelivery(status string) bool {
	return status == app.DeliveryDone || status == app.DeliveryFailed || status == app.DeliveryCancelled
}

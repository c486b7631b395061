package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"smartbot/app"
	"smartbot/app/media"
)

// problem is an RFC 9457 problem document.
type problem struct {
	Type     string           `json:"type"`
	Title    string           `json:"title"`
	Status   int              `json:"status"`
	Detail   string           `json:"detail,omitempty"`
	Instance string           `json:"instance,omitempty"`
	Errors   []app.FieldError `json:"errors,omitempty"`
	// UsedBy names what uses a media file that could not be deleted.
	UsedBy []app.MediaUse `json:"used_by,omitempty"`
}

// statusOf maps application error codes to HTTP statuses.
var statusOf = map[string]int{
	app.EINVALID:      http.StatusUnprocessableEntity,
	app.ENOTFOUND:     http.StatusNotFound,
	app.ECONFLICT:     http.StatusConflict,
	app.EUNAUTHORIZED: http.StatusUnauthorized,
	app.EFORBIDDEN:    http.StatusForbidden,
	app.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	app.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	app.ETOOMANY:      http.StatusTooManyRequests,
	app.EUNAVAILABLE:  http.StatusServiceUnavailable,
	app.EINTERNAL:     http.StatusInternalServerError,
	errMalformed:      http.StatusBadRequest,
	errMethod:         http.StatusMethodNotAllowed,
}

// Codes the web layer adds to the application's.
const (
	errMalformed = "malformed"
	errMethod    = "method_not_allowed"
)

// problemType names each code with a URN: stable, and no host to resolve.
func problemType(code string) string { return "urn:smartbot:problem:" + code }

// writeError answers err as a problem document. Errors that are not
// application errors are logged and answered as a bare 500 that leaks
// nothing.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := app.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := problem{Type: problemType(code), Title: http.StatusText(status), Status: status, Detail: app.ErrorMessage(err), Instance: r.URL.Path}
	var ae *app.Error
	if errors.As(err, &ae) {
		p.Errors = ae.Fields
	}
	var inUse *media.InUseError
	if errors.As(err, &inUse) {
		p.UsedBy = inUse.Uses
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "request_id", requestID(r.Context()), "error", err)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// logWarn logs an error a handler carries on after, with the request id.
func (s *Server) logWarn(r *http.Request, msg string, err error) {
	s.log.Warn(msg, slog.String("request_id", requestID(r.Context())), slog.Any("error", err))
}

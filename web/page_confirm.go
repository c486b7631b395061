package web

import (
	"net/http"
	"net/url"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/web/ui"
)

// Confirmation pages: a destructive button leads (GET) to a page that
// names what it will do, with a form that POSTs it and a way back. They
// change nothing themselves.

func (s *Server) confirm(w http.ResponseWriter, r *http.Request, nav string, p ui.ConfirmPage, question string) error {
	p.Layout = layout(r, question, nav)
	return render(w, r, http.StatusOK, ui.Confirm(p))
}

func (s *Server) pageUserDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, "users", ui.ConfirmPage{
		Detail: u.Email + " will no longer be able to sign in, their sessions end, and the API keys they made stop working.",
		Action: r.URL.Path, Button: "Remove user", Cancel: "/users",
	}, "Remove user "+u.Email+"?")
}

func (s *Server) pageKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixAPIKey, "API key")
	if err != nil {
		return err
	}
	keys, err := s.db.APIKeys(r.Context())
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id {
			return s.confirm(w, r, "keys", ui.ConfirmPage{
				Detail: "Apps and scripts using the key " + k.Name + " (" + k.Prefix + "…) will be refused from now on. This cannot be undone.",
				Action: r.URL.Path, Button: "Revoke key", Cancel: "/keys",
			}, "Revoke API key "+k.Name+"?")
		}
	}
	return app.Errorf(app.ENOTFOUND, "API key %q not found", app.Shorten(id, 40))
}

func (s *Server) pageDeadDiscard(w http.ResponseWriter, r *http.Request) error {
	id, err := deadID(r)
	if err != nil {
		return err
	}
	for _, name := range queue.Names {
		dead, err := s.queues.DeadLetters(r.Context(), name, "", 500)
		if err != nil {
			return err
		}
		for _, d := range dead {
			if d.ID == id {
				return s.confirm(w, r, "queues", ui.ConfirmPage{
					Detail: "The job in " + queueLabel(string(d.Queue)) + " that failed on " + displayTime(r.Context(), d.FailedAt) + " (" + sentence(d.Error) + ") will be deleted and not tried again.",
					Action: "/queues/dead/" + url.PathEscape(id) + "/discard", Button: "Discard job", Cancel: "/queues",
				}, "Discard this failed job?")
			}
		}
	}
	return app.Errorf(app.ENOTFOUND, "this failed job is gone: it was retried or discarded already")
}

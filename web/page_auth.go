package web

import (
	"net/http"
	"strings"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/web/ui"
)

// Signing in and out, and the first run's setup.

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) error {
	if principalFrom(r.Context()) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	p := ui.LoginPage{Next: safeNext(r.URL.Query().Get("next"))}
	if n, err := s.db.CountUsers(r.Context()); err == nil && n == 0 {
		p.Error = "No account exists yet. Open the setup link that 'smartbot serve' printed, or run 'smartbot user create'."
	}
	return render(w, r, http.StatusOK, ui.Login(p))
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	email, next := r.PostFormValue("email"), safeNext(r.PostFormValue("next"))
	u, err := s.login(r.Context(), email, r.PostFormValue("password"), remoteIP(r))
	if err == nil {
		err = s.startSession(w, r, u)
	}
	if err != nil {
		status := statusOf[app.ErrorCode(err)]
		if status == 0 || status >= 500 {
			return err
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		return render(w, r, status, ui.Login(ui.LoginPage{Email: email, Next: next, Error: sentence(app.ErrorMessage(err))}))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) error {
	if p := principalFrom(r.Context()); p != nil && p.user != nil {
		if err := s.accounts.EndSession(r.Context(), p.session.ID); err != nil {
			return err
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) pageSetup(w http.ResponseWriter, r *http.Request) error {
	if principalFrom(r.Context()) != nil {
		// Someone signed in opened the link again: the shop has its owner.
		return s.done(w, r, "/", flash{notice: "Your shop is already set up."})
	}
	token := r.URL.Query().Get("token")
	ok, err := s.accounts.SetupValid(r.Context(), token)
	if err != nil {
		return err
	}
	if !ok {
		return app.Errorf(app.EUNAUTHORIZED, "this setup link is used, expired or no longer needed; sign in, or run 'smartbot user create'")
	}
	return render(w, r, http.StatusOK, ui.Setup(ui.SetupPage{Token: token, Timezone: s.settings.DefaultZone()}))
}

func (s *Server) postSetup(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	p := ui.SetupPage{Token: f.Get("token"), Email: f.Get("email"), Name: f.Get("name"), Timezone: strings.TrimSpace(f.Get("timezone"))}
	if f.Get("password") != f.Get("password_confirm") {
		p.Error = "The two passwords differ."
		return render(w, r, http.StatusUnprocessableEntity, ui.Setup(p))
	}
	u, err := s.accounts.SetupShop(r.Context(), p.Token, account.NewUser{Email: p.Email, Name: p.Name, Password: f.Get("password")}, p.Timezone)
	if app.ErrorCode(err) == app.EINVALID {
		p.Error = sentence(app.ErrorMessage(err))
		return render(w, r, http.StatusUnprocessableEntity, ui.Setup(p))
	}
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	return s.done(w, r, "/", flash{notice: "Welcome! Your shop's owner account is ready.", userID: u.ID})
}

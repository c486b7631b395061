package web

import (
	"net/http"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/web/ui"
)

// The users page: who has access, and for owners the forms to add, change
// and remove them.

func (s *Server) pageUsers(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	users, err := s.db.Users(r.Context())
	if err != nil {
		return err
	}
	p := ui.UsersPage{}
	p.Layout, _ = s.frame(w, r, "Users", "users")
	p.Layout.Error = errMsg
	me := principalFrom(r.Context())
	for _, u := range users {
		p.Users = append(p.Users, ui.UserRow{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
			CreatedAt: displayTime(r.Context(), u.CreatedAt), LastLoginAt: displayTimePtr(r.Context(), u.LastLoginAt), IsSelf: me.user != nil && me.user.ID == u.ID})
	}
	return render(w, r, status, ui.Users(p))
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	in := account.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: app.Role(r.PostFormValue("role")), Password: r.PostFormValue("password")}
	u, err := s.accounts.CreateUser(r.Context(), in)
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderUsers(w, r, status, msg) })
	}
	return s.done(w, r, "/users", flash{notice: "Added " + u.Email + "."})
}

func (s *Server) postUserRole(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	id, err := pathID(r, app.PrefixUser, "user")
	var u app.User
	if err == nil {
		role := app.Role(r.PostFormValue("role"))
		u, err = s.accounts.UpdateUser(r.Context(), id, account.UserChange{Role: &role})
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderUsers(w, r, status, msg) })
	}
	return s.done(w, r, "/users", flash{notice: u.Email + " is now " + string(u.Role) + "."})
}

func (s *Server) postUserDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	var u app.User
	if err == nil {
		if u, err = s.db.User(r.Context(), id); err == nil {
			err = s.accounts.DeleteUser(r.Context(), id)
		}
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error { return s.renderUsers(w, r, status, msg) })
	}
	return s.done(w, r, "/users", flash{notice: "Removed " + u.Email + "."})
}

func (s *Server) postSignOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	u, err := signedInUser(r)
	if err != nil {
		return err
	}
	// Keep this browser signed in: its session starts again at once.
	keep := &account.SessionStart{Session: principalFrom(r.Context()).session, RemoteAddr: remoteIP(r), UserAgent: r.UserAgent()}
	if _, err := s.accounts.SignOutEverywhere(r.Context(), u.ID, keep); err != nil {
		return err
	}
	return s.done(w, r, "/users", flash{notice: "You are signed out on every other device."})
}

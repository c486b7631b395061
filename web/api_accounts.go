package web

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
	"smartbot/store"
)

// pathID reads the {id} path value and checks it has the shape of an id
// with prefix, so hostile values never reach a query.
func pathID(r *http.Request, prefix, what string) (string, error) {
	id := r.PathValue("id")
	if !app.ValidID(prefix, id) {
		return "", app.Errorf(app.ENOTFOUND, "%s %q not found", what, truncate(id, 40))
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

type meResponse struct {
	Type string      `json:"type"` // "user" or "api_key"
	Role app.Role    `json:"role"`
	User *app.User   `json:"user,omitempty"`
	Key  *apiKeyView `json:"api_key,omitempty"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	me := meResponse{Type: p.actor.Type, Role: p.role, User: p.user}
	if p.key != nil {
		me.Key = &apiKeyView{APIKey: *p.key, OwnerEmail: p.keyOwner, Status: p.key.Status(s.now())}
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

// signedInUser is the user behind a session. Routes that call it are
// declared sessionOnly, so guard has refused API keys already.
func signedInUser(r *http.Request) (*app.User, error) {
	p := principalFrom(r.Context())
	if p == nil || p.user == nil {
		return nil, app.Errorf(app.EFORBIDDEN, "this acts on a signed-in user; an API key has none")
	}
	return p.user, nil
}

func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	u, err := signedInUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if !auth.CheckPassword(in.Current, u.PasswordHash) {
		return app.Invalid(app.FieldError{Field: "current_password", Message: "is not your current password"})
	}
	if errs := app.ValidatePassword("new_password", in.New); errs != nil {
		return app.Invalid(errs...)
	}
	hash, err := auth.HashPassword(in.New)
	if err != nil {
		return err
	}
	if err := s.db.Write(r.Context(), func(tx *store.Tx) error { return tx.SetPassword(r.Context(), u.ID, hash) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSignOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	u, err := signedInUser(r)
	if err != nil {
		return err
	}
	var n int64
	err = s.db.Write(r.Context(), func(tx *store.Tx) error {
		n, err = tx.DeleteUserSessions(r.Context(), u.ID)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"sessions_ended": n})
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.db.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wholeList(users))
	return nil
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type userInput struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Role     app.Role `json:"role"`
	Password string   `json:"password"`
}

// createUser validates and stores a new user; shared by the API, the panel
// and first-run setup.
func (s *Server) createUser(r *http.Request, in userInput, extra func(tx *store.Tx) error) (app.User, error) {
	in.Email = app.NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	errs := app.ValidateUser(in.Email, in.Name, in.Role)
	errs = append(errs, app.ValidatePassword("password", in.Password)...)
	if len(errs) > 0 {
		return app.User{}, app.Invalid(errs...)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return app.User{}, err
	}
	u := app.User{ID: app.NewID(app.PrefixUser), Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: hash}
	err = s.db.Write(r.Context(), func(tx *store.Tx) error {
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		return tx.CreateUser(r.Context(), &u)
	})
	return u, err
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	var in userInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := s.createUser(r, in, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/users/"+u.ID)
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), id)
	if err != nil {
		return err
	}
	var in struct {
		Name *string   `json:"name"`
		Role *app.Role `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	name, role := u.Name, u.Role
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if in.Role != nil {
		role = *in.Role
	}
	if errs := app.ValidateUser(u.Email, name, role); len(errs) > 0 {
		return app.Invalid(errs...)
	}
	var after app.User
	err = s.db.Write(r.Context(), func(tx *store.Tx) error {
		after, err = tx.UpdateUser(r.Context(), id, name, role)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, after)
	return nil
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	if err != nil {
		return err
	}
	if err := s.db.Write(r.Context(), func(tx *store.Tx) error { return tx.DeleteUser(r.Context(), id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiResetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixUser, "user")
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if errs := app.ValidatePassword("password", in.Password); errs != nil {
		return app.Invalid(errs...)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return err
	}
	if err := s.db.Write(r.Context(), func(tx *store.Tx) error { return tx.SetPassword(r.Context(), id, hash) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiKeyView is a key as the API shows it, with its maker's email.
type apiKeyView struct {
	app.APIKey
	OwnerEmail string `json:"owner_email"`
	Status     string `json:"status"`
	// Key is the whole key: only in the answer to its creation.
	Key string `json:"key,omitempty"`
}

func (s *Server) apiKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.db.APIKeys(r.Context())
	if err != nil {
		return err
	}
	views := make([]apiKeyView, len(keys))
	for i, k := range keys {
		views[i] = apiKeyView{APIKey: k.APIKey, OwnerEmail: k.OwnerEmail, Status: k.Status(s.now())}
	}
	writeJSON(w, http.StatusOK, wholeList(views))
	return nil
}

var keyNameRE = regexp.MustCompile(`^[\pL\pN][\pL\pN _.\-]{0,99}$`)

type keyInput struct {
	Name      string     `json:"name"`
	Role      app.Role   `json:"role"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// createKey makes an API key for the signed-in user (none for a key made
// with a key) and returns it with its secret, which is shown this once.
func (s *Server) createKey(r *http.Request, in keyInput) (apiKeyView, error) {
	in.Name = strings.TrimSpace(in.Name)
	var errs []app.FieldError
	if !keyNameRE.MatchString(in.Name) {
		errs = append(errs, app.FieldError{Field: "name", Message: "must be 1 to 100 letters, digits, spaces, dots, dashes or underscores"})
	}
	if !in.Role.Valid() {
		errs = append(errs, app.FieldError{Field: "role", Message: "must be owner, operator or viewer"})
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		errs = append(errs, app.FieldError{Field: "expires_at", Message: "must be in the future"})
	}
	if len(errs) > 0 {
		return apiKeyView{}, app.Invalid(errs...)
	}
	secret, prefix := auth.NewAPIKey()
	k := app.APIKey{ID: app.NewID(app.PrefixAPIKey), Name: in.Name, Prefix: prefix, Role: in.Role}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Millisecond)
		k.ExpiresAt = &t
	}
	view := apiKeyView{Key: secret, Status: "active"}
	if p := principalFrom(r.Context()); p != nil && p.user != nil {
		k.UserID, view.OwnerEmail = p.user.ID, p.user.Email
	} else if p != nil && p.key != nil {
		k.UserID = p.key.UserID
	}
	err := s.db.Write(r.Context(), func(tx *store.Tx) error { return tx.CreateAPIKey(r.Context(), &k, auth.HashToken(secret)) })
	view.APIKey = k
	return view, err
}

func (s *Server) apiCreateKey(w http.ResponseWriter, r *http.Request) error {
	var in keyInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	view, err := s.createKey(r, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, view)
	return nil
}

func (s *Server) apiRevokeKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixAPIKey, "API key")
	if err != nil {
		return err
	}
	if err := s.db.Write(r.Context(), func(tx *store.Tx) error { _, err := tx.RevokeAPIKey(r.Context(), id); return err }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package web

import (
	"net/http"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/store"
)

// pathID reads the {id} path value and checks it has the shape of an id
// with prefix, so hostile values never reach a query.
func pathID(r *http.Request, prefix, what string) (string, error) {
	return pathIDOf(r, "id", prefix, what)
}

// pathIDOf is pathID for the path value named name.
func pathIDOf(r *http.Request, name, prefix, what string) (string, error) {
	id := r.PathValue(name)
	if !app.ValidID(prefix, id) {
		return "", app.Errorf(app.ENOTFOUND, "%s %q not found", what, app.Shorten(id, 40))
	}
	return id, nil
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
	if err := s.accounts.ChangePassword(r.Context(), *u, in.Current, in.New); err != nil {
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
	n, err := s.accounts.SignOutEverywhere(r.Context(), u.ID, nil)
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

func (in userInput) newUser() account.NewUser {
	return account.NewUser{Email: in.Email, Name: in.Name, Role: in.Role, Password: in.Password}
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in userInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := s.accounts.CreateUserTx(r.Context(), tx, in.newUser())
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
	var in struct {
		Name *string   `json:"name"`
		Role *app.Role `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	after, err := s.accounts.UpdateUser(r.Context(), id, account.UserChange{Name: in.Name, Role: in.Role})
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
	if err := s.accounts.DeleteUser(r.Context(), id); err != nil {
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
	if err := s.accounts.SetPassword(r.Context(), id, in.Password); err != nil {
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

type keyInput struct {
	Name      string     `json:"name"`
	Role      app.Role   `json:"role"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// newKey is the key the request's principal makes: it belongs to the
// signed-in user, or to the user behind the API key that asks.
func newKey(r *http.Request, in keyInput) account.NewAPIKey {
	k := account.NewAPIKey{Name: in.Name, Role: in.Role, ExpiresAt: in.ExpiresAt}
	if p := principalFrom(r.Context()); p != nil && p.user != nil {
		k.UserID = p.user.ID
	} else if p != nil && p.key != nil {
		k.UserID = p.key.UserID
	}
	return k
}

// createdKeyView is a new key as the API shows it, with its secret.
func (s *Server) createdKeyView(r *http.Request, k account.CreatedKey) apiKeyView {
	view := apiKeyView{APIKey: k.APIKey, Key: k.Secret, Status: "active"}
	if p := principalFrom(r.Context()); p != nil && p.user != nil {
		view.OwnerEmail = p.user.Email
	} else if p != nil {
		view.OwnerEmail = p.keyOwner
	}
	return view
}

func (s *Server) apiCreateKey(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in keyInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	k, err := s.accounts.CreateAPIKeyTx(r.Context(), tx, newKey(r, in))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.createdKeyView(r, k))
	return nil
}

func (s *Server) apiRevokeKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixAPIKey, "API key")
	if err != nil {
		return err
	}
	if err := s.accounts.RevokeAPIKey(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

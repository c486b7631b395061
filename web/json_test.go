package web_test

import (
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestJSONBodiesAreReadStrictlyAndErrorsSayWhatIsWrong(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.keys[app.RoleOwner]
	user := "/api/users/" + ts.users[app.RoleViewer].ID
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		name         string
		method, path string
		body         string
		status       int
		field        string // the field error's field, when there is one
		detail       string // a part of the detail, when it matters
	}{
		// Names match exactly, once.
		{"a name in capitals is not the field", "POST", "/api/users", `{"EMAIL":"caps@shop.test","role":"viewer","password":"correct horse battery"}`, 422, "EMAIL", ""},
		{"a name in another case is not the field", "PATCH", user, `{"Name":"Tendai"}`, 422, "Name", ""},
		{"a second role in another case cannot smuggle a role in", "POST", "/api/users", `{"email":"smuggle@shop.test","role":"viewer","Role":"owner","password":"correct horse battery"}`, 422, "Role", ""},
		{"a name given twice is refused, naming it", "PATCH", user, `{"name":"a","name":"b"}`, 422, "name", ""},
		{"a role given twice is refused, naming it", "POST", "/api/users", `{"email":"twice@shop.test","role":"viewer","password":"correct horse battery","role":"owner"}`, 422, "role", ""},
		{"a name twice, once escaped, is still twice", "PATCH", user, `{"name":"a","n\u0061me":"b"}`, 422, "name", ""},
		// What was there before stays.
		{"an unknown field is named", "POST", "/api/api-keys", `{"name":"k","role":"viewer","admin":true}`, 422, "admin", "admin"},
		{"a wrong type names the field and the kind", "POST", "/api/users", `{"email":5,"role":"viewer","password":"correct horse battery"}`, 422, "email", ""},
		{"an array for a string names the field", "PATCH", user, `{"name":["x"]}`, 422, "name", ""},
		{"a fraction for a whole number names the field", "POST", "/api/products", `{"sku":"S-1","name":"Tea","price":12.5,"currency":"USD"}`, 422, "price", ""},
		{"an array for the body", "POST", "/api/api-keys", `[]`, 422, "body", ""},
		{"a number for the body", "POST", "/api/api-keys", `123`, 422, "body", ""},
		{"a time not in RFC 3339 names the field", "POST", "/api/api-keys", `{"name":"k","role":"viewer","expires_at":"tomorrow"}`, 422, "expires_at", ""},
		{"invalid JSON gives the offset", "POST", "/api/api-keys", `{"name":}`, 400, "", "at byte"},
		{"single quotes are not JSON", "POST", "/api/api-keys", `{'name':'k'}`, 400, "", "not valid JSON"},
		{"an empty body", "POST", "/api/api-keys", ` `, 400, "", "empty"},
		{"a body cut short", "POST", "/api/api-keys", `{"name":"k"`, 400, "", "ends too soon"},
		{"two values", "POST", "/api/api-keys", `{"name":"k","role":"viewer"}{}`, 400, "", "more than one JSON value"},
		{"trailing words", "POST", "/api/api-keys", `{"name":"k","role":"viewer"} trailing`, 400, "", ""},
		{"a body over the cap", "POST", "/api/api-keys", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "", ""},
		// And what is right still works.
		{"a key without expiry", "POST", "/api/api-keys", `{"name":"plain","role":"viewer"}`, 201, "", ""},
		{"a key with a null expiry", "POST", "/api/api-keys", `{"name":"nulled","role":"viewer","expires_at":null}`, 201, "", ""},
		{"a key with an expiry", "POST", "/api/api-keys", `{"name":"dated","role":"viewer","expires_at":"` + future + `"}`, 201, "", ""},
		{"a null leaves a field as it is", "PATCH", user, `{"name":null,"role":"viewer"}`, 200, "", ""},
		{"whitespace around the body is fine", "PATCH", user, "\n {\"name\":\"Rudo\"} \n", 200, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := ts.do(req{method: c.method, path: c.path, body: c.body, key: owner})
			if res.StatusCode != c.status {
				t.Fatalf("%d, want %d\n%.300s", res.StatusCode, c.status, body)
			}
			if c.status < 400 {
				return
			}
			p := problemOf(t, res, body)
			if c.field != "" {
				errs, _ := p["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["field"] != c.field {
					t.Errorf("errors %v do not name %q alone", p["errors"], c.field)
				}
			}
			if detail, _ := p["detail"].(string); !strings.Contains(detail, c.detail) {
				t.Errorf("detail %q does not say %q", detail, c.detail)
			}
		})
	}
}

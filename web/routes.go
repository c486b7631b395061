package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"smartbot/app"
)

// route is one entry of the route table: a ServeMux pattern, the least role
// it needs ("" for public), the limits of its request, and its handler.
type route struct {
	pattern string
	need    app.Role
	// panel routes answer people: no credentials redirects to the sign-in
	// page instead of a 401 problem.
	panel bool
	// sessionOnly routes act on the signed-in user, whom an API key does not have.
	sessionOnly bool
	// maxBody caps the request body; 0 means defaultMaxBody. A declared
	// Content-Length above it is refused before any of the body is read.
	maxBody int64
	// readTimeout is how long the whole request body may take to arrive;
	// 0 means defaultReadTimeout. An upload route sets a longer one.
	readTimeout time.Duration
	handler     func(http.ResponseWriter, *http.Request) error
	// create routes have a txHandler instead: they run in one transaction
	// and honour the Idempotency-Key header (idempotency.go).
	create txHandler
}

// Request limits of a route that sets none: a JSON body or a form.
const defaultMaxBody = 1 << 20

// defaultReadTimeout is a variable only so that a test can shorten it.
var defaultReadTimeout = time.Minute

const public app.Role = ""

// routeTable is every route Smartbot serves and who may use it. A route
// missing here does not exist; the role matrix test walks this table.
func (s *Server) routeTable() []route {
	viewer, operator, owner := app.RoleViewer, app.RoleOperator, app.RoleOwner
	api := func(pattern string, need app.Role, h func(http.ResponseWriter, *http.Request) error) route {
		return route{pattern: pattern, need: need, handler: h}
	}
	create := func(pattern string, need app.Role, h txHandler) route {
		return route{pattern: pattern, need: need, create: h}
	}
	panel := func(pattern string, need app.Role, h func(http.ResponseWriter, *http.Request) error) route {
		return route{pattern: pattern, need: need, panel: true, handler: h}
	}
	self := func(pattern string, h func(http.ResponseWriter, *http.Request) error) route {
		return route{pattern: pattern, need: app.RoleViewer, sessionOnly: true, handler: h}
	}
	routes := []route{
		// Health and metrics.
		api("GET /healthz", public, s.healthz),
		api("GET /readyz", public, s.readyz),
		api("GET /metrics", viewer, s.metricsHandler),
		api("GET /api/openapi.json", public, s.openAPI),

		// Accounts.
		api("GET /api/me", viewer, s.apiMe),
		self("POST /api/me/password", s.apiChangePassword),
		self("DELETE /api/me/sessions", s.apiSignOutEverywhere),
		api("GET /api/users", viewer, s.apiUsers),
		create("POST /api/users", owner, s.apiCreateUser),
		api("GET /api/users/{id}", viewer, s.apiUser),
		api("PATCH /api/users/{id}", owner, s.apiUpdateUser),
		api("DELETE /api/users/{id}", owner, s.apiDeleteUser),
		api("POST /api/users/{id}/password", owner, s.apiResetPassword),
		api("GET /api/api-keys", owner, s.apiKeys),
		create("POST /api/api-keys", owner, s.apiCreateKey),
		api("DELETE /api/api-keys/{id}", owner, s.apiRevokeKey),

		// Catalog.
		api("GET /api/products", viewer, s.apiProducts),
		create("POST /api/products", operator, s.apiCreateProduct),
		api("GET /api/products/export.csv", viewer, s.apiExportProducts),
		{pattern: "POST /api/products/import", need: operator, handler: s.apiImportProducts, maxBody: maxImportBody + uploadFormSlack},
		api("GET /api/products/{id}", viewer, s.apiProduct),
		api("PATCH /api/products/{id}", operator, s.apiUpdateProduct),
		api("DELETE /api/products/{id}", operator, s.apiArchiveProduct),
		api("POST /api/products/{id}/media", operator, s.apiAttachProductMedia),
		api("PUT /api/products/{id}/media", operator, s.apiReorderProductMedia),
		api("POST /api/products/{id}/media/{media_id}/primary", operator, s.apiSetPrimaryProductMedia),
		api("DELETE /api/products/{id}/media/{media_id}", operator, s.apiDetachProductMedia),

		// Templates. Every save is a version; DELETE archives.
		api("GET /api/templates", viewer, s.apiTemplates),
		create("POST /api/templates", operator, s.apiCreateTemplate),
		api("POST /api/templates/preview", viewer, s.apiPreviewTemplate),
		api("GET /api/templates/{id}", viewer, s.apiTemplate),
		api("PUT /api/templates/{id}", operator, s.apiUpdateTemplate),
		api("DELETE /api/templates/{id}", operator, s.apiArchiveTemplate),
		api("GET /api/templates/{id}/versions", viewer, s.apiTemplateVersions),
		api("GET /api/templates/{id}/versions/{n}", viewer, s.apiTemplateVersion),
		api("POST /api/templates/{id}/rollback", operator, s.apiRollbackTemplate),
		api("GET /api/templates/{id}/export", viewer, s.apiExportTemplate),

		// Media. An upload streams its body through the media service's
		// checks: it may be as big as the largest file kind allows, and
		// take its time over a phone's connection.
		{pattern: "POST /api/media/upload", need: operator, handler: s.apiUploadMedia,
			maxBody: s.media.Limits().Max() + uploadFormSlack, readTimeout: uploadReadTimeout},
		api("GET /api/media", viewer, s.apiMediaList),
		api("GET /api/media/{id}", viewer, s.apiMedia),
		api("PATCH /api/media/{id}", operator, s.apiUpdateMedia),
		api("DELETE /api/media/{id}", operator, s.apiDeleteMedia),
		api("GET /media/{id}", viewer, s.serveMedia),
		api("GET /media/{id}/{variant}", viewer, s.serveMedia),

		// History.
		api("GET /api/audit", viewer, s.apiAudit),
		api("GET /api/events", viewer, s.apiEvents),

		// Queues.
		api("GET /api/queues", viewer, s.apiQueues),
		api("GET /api/queues/{queue}/dead-letters", viewer, s.apiDeadLetters),
		api("POST /api/dead-letters/{id}/retry", operator, s.apiRetryDead),
		api("DELETE /api/dead-letters/{id}", operator, s.apiDiscardDead),

		// Panel.
		panel("GET /static/", public, s.static),
		panel("GET /login", public, s.pageLogin),
		panel("POST /login", public, s.postLogin),
		panel("POST /logout", public, s.postLogout),
		panel("GET /setup", public, s.pageSetup),
		panel("POST /setup", public, s.postSetup),
		panel("GET /{$}", viewer, s.pageDashboard),
		panel("GET /dashboard/stream", viewer, s.streamDashboard),
		panel("GET /library", viewer, s.pageLibrary),
		panel("GET /library/stream", viewer, s.streamLibrary),
		// The upload form without JavaScript: as large and as slow as the
		// API's upload may be.
		{pattern: "POST /library", need: operator, panel: true, handler: s.postLibrary,
			maxBody: s.media.Limits().Max() + uploadFormSlack, readTimeout: uploadReadTimeout},
		panel("GET /library/{id}", viewer, s.pageMediaFile),
		panel("GET /library/{id}/stream", viewer, s.streamMediaFile),
		panel("GET /library/{id}/delete", operator, s.pageMediaDelete),
		panel("POST /library/{id}/delete", operator, s.postMediaDelete),
		panel("GET /templates", viewer, s.pageTemplates),
		panel("POST /templates", operator, s.postTemplateCreate),
		panel("GET /templates/new", operator, s.pageTemplateNew),
		// The editor's live preview changes nothing: viewers see it too.
		panel("POST /templates/preview", viewer, s.postTemplatePreview),
		panel("GET /templates/{id}", viewer, s.pageTemplate),
		panel("POST /templates/{id}", operator, s.postTemplateSave),
		panel("GET /templates/{id}/versions", viewer, s.pageTemplateVersions),
		panel("GET /templates/{id}/versions/{n}", viewer, s.pageTemplateVersion),
		panel("GET /templates/{id}/versions/{n}/restore", operator, s.pageTemplateRestore),
		panel("POST /templates/{id}/versions/{n}/restore", operator, s.postTemplateRestore),
		panel("GET /templates/{id}/archive", operator, s.pageTemplateArchive),
		panel("POST /templates/{id}/archive", operator, s.postTemplateArchive),
		panel("GET /users", viewer, s.pageUsers),
		panel("POST /users", owner, s.postUser),
		panel("POST /users/{id}/role", owner, s.postUserRole),
		panel("GET /users/{id}/delete", owner, s.pageUserDelete),
		panel("POST /users/{id}/delete", owner, s.postUserDelete),
		{pattern: "POST /account/sessions/revoke", need: viewer, panel: true, sessionOnly: true, handler: s.postSignOutEverywhere},
		panel("GET /keys", owner, s.pageKeys),
		panel("POST /keys", owner, s.postKey),
		panel("GET /keys/{id}/revoke", owner, s.pageKeyRevoke),
		panel("POST /keys/{id}/revoke", owner, s.postKeyRevoke),
		panel("GET /settings", owner, s.pageSettings),
		panel("POST /settings", owner, s.postSettings),
		panel("GET /settings/whatsapp", owner, s.pageWhatsAppSettings),
		panel("POST /settings/whatsapp", owner, s.postWhatsAppSettings),
		panel("GET /audit", viewer, s.pageAudit),
		panel("GET /queues", viewer, s.pageQueues),
		panel("GET /queues/stream", viewer, s.streamQueues),
		panel("POST /queues/dead/{id}/retry", operator, s.postDeadRetry),
		panel("GET /queues/dead/{id}/discard", operator, s.pageDeadDiscard),
		panel("POST /queues/dead/{id}/discard", operator, s.postDeadDiscard),
	}
	routes = append(routes, s.messagingRoutes()...)
	routes = append(routes, s.ordersRoutes()...)
	routes = append(routes, s.paymentsRoutes()...)
	routes = append(routes, s.deliveriesRoutes()...)
	routes = append(routes, s.customersRoutes()...)
	routes = append(routes, s.webhooksRoutes()...)
	routes = append(routes, s.orderPages()...)
	routes = append(routes, s.shopPages()...)
	routes = append(routes, s.webhookPages()...)
	return append(routes, s.inboxRoutes()...)
}

// guard authenticates the request, enforces the route's role, puts the
// actor in the context for the audit log, and renders the handler's error.
// It is the one place access is decided.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r.Context())
		ri.route, ri.need = rt.pattern, rt.need
		p, err := s.authenticate(r)
		if err == nil && rt.need != public {
			switch {
			case p == nil:
				err = app.Errorf(app.EUNAUTHORIZED, "sign in, or send an API key as 'Authorization: Bearer sb_…'")
			case !p.role.Allows(rt.need):
				err = app.Errorf(app.EFORBIDDEN, "this needs the %s role; you are %s", rt.need, p.role)
			case rt.sessionOnly && p.user == nil:
				err = app.Errorf(app.EFORBIDDEN, "this acts on a signed-in user; an API key has none")
			}
		}
		if err != nil && (rt.need != public || app.ErrorCode(err) != app.EUNAUTHORIZED) {
			if p != nil {
				// A refusal page says who is signed in.
				r = r.WithContext(withPrincipal(r.Context(), p))
			}
			s.refuse(w, r, rt, err)
			return
		}
		ctx := r.Context()
		if p != nil {
			ri.actor = p.actor
			ctx = app.WithActor(ctx, p.actor)
			ctx = withPrincipal(ctx, p)
			if rt.panel {
				// The panel shows times in the shop's zone.
				ctx = s.withZone(ctx)
			}
		}
		r = r.WithContext(ctx)
		if err := s.limit(w, r, rt); err != nil {
			w.Header().Set("Connection", "close")
			s.fail(w, r, rt, err)
			return
		}
		if rt.create != nil {
			s.transact(w, r, rt.create)
			return
		}
		if err := rt.handler(w, r); err != nil {
			s.fail(w, r, rt, err)
		}
	})
}

// limit applies the route's body cap and read deadline. A body declared
// larger than the cap is refused at once, before a byte of it is read.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, rt route) error {
	maxBody, readTimeout := rt.maxBody, rt.readTimeout
	if maxBody == 0 {
		maxBody = defaultMaxBody
	}
	if readTimeout == 0 {
		readTimeout = defaultReadTimeout
	}
	if r.ContentLength > maxBody {
		return app.Errorf(app.ETOOLARGE, "the body is %s; this endpoint accepts at most %s", byteSize(r.ContentLength), byteSize(maxBody))
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		// The server's own read timeout covers the headers; the body gets
		// the route's time. Only a request with a body: once the body is
		// read (or when there is none) the server clears the deadline and
		// watches the connection, and a deadline set then would cancel a
		// long answer such as a live stream. Not every writer supports
		// deadlines (tests' recorders), hence no error check.
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(readTimeout))
	}
	return nil
}

// byteSize writes n bytes for people: 512 bytes, 1 MiB, 16 MiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// refuse answers a request that may not proceed: a problem document for
// the API, the sign-in page for people without a session.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, rt route, err error) {
	if rt.panel && isDatastar(r) && r.Method == http.MethodGet {
		// A live stream that may not open: 204 tells Datastar to stop
		// reconnecting; the page shows it is no longer live.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if rt.panel && app.ErrorCode(err) == app.EUNAUTHORIZED && !isDatastar(r) {
		s.clearCookie(w)
		next := ""
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
		return
	}
	s.fail(w, r, rt, err)
}

// fail renders a handler's error: a problem document, or for panel pages a
// plain page with the message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	if rt.panel && !isDatastar(r) {
		s.panelError(w, r, err)
		return
	}
	s.writeError(w, r, err)
}

// apiFallback answers /api paths no route matched: 405 with Allow when the
// path exists under another method, 404 otherwise.
func (s *Server) apiFallback(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	if allow := allowedMethods(mux, r); len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		s.writeError(w, r, &app.Error{Code: errMethod, Message: r.Method + " is not allowed here"})
		return
	}
	s.writeError(w, r, app.Errorf(app.ENOTFOUND, "no such API endpoint: %s %s", r.Method, app.Shorten(r.URL.Path, 200)))
}

func isDatastar(r *http.Request) bool { return r.Header.Get("Datastar-Request") == "true" }

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}

// RouteInfo describes one route of the table.
type RouteInfo struct {
	Pattern     string
	Need        app.Role // "" for public
	Panel       bool
	SessionOnly bool // refused to API keys
}

// Routes lists the route table, for the role matrix test and for docs.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Pattern: rt.pattern, Need: rt.need, Panel: rt.panel, SessionOnly: rt.sessionOnly}
	}
	return out
}

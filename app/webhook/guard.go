package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"smartbot/app"
)

// Resolver looks up a host's addresses. net.DefaultResolver is one; tests
// give their own to map a name to any address.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// reserved are the ranges a webhook may not reach unless private targets are
// allowed, beside what netip's own predicates name (loopback, RFC 1918 and
// ULA, link-local, multicast, unspecified): networks that are never a
// shop's partner on the internet, and would otherwise let a webhook probe
// the machine's own neighbourhood.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT, often a cloud's internal network
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // old site-local
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
}

// blocked says why a is not a public address, or "" when it is one.
func blocked(a netip.Addr) string {
	a = a.Unmap()
	// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address
	// that the network reaches: judge that one.
	if p := netip.MustParsePrefix("64:ff9b::/96"); p.Contains(a) {
		b := a.As16()
		return blocked(netip.AddrFrom4([4]byte(b[12:16])))
	}
	if p := netip.MustParsePrefix("2002::/16"); p.Contains(a) {
		b := a.As16()
		return blocked(netip.AddrFrom4([4]byte(b[2:6])))
	}
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case a.IsUnspecified():
		return "an unspecified address"
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return "a reserved address (" + p.String() + ")"
		}
	}
	return ""
}

// guard keeps deliveries away from the machine and its network: it checks
// a URL when it is saved, and every address again when a delivery
// connects, so a name that resolved to a public address then and to a
// private one now (DNS rebinding) is still refused.
type guard struct {
	resolver     Resolver
	allowPrivate func(context.Context) bool
}

// lookup resolves host, or takes it as it is when it is an address.
func (g *guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no address")
	}
	return addrs, err
}

// refuse returns why a delivery may not go to a, or nil.
func (g *guard) refuse(ctx context.Context, host string, a netip.Addr) error {
	if why := blocked(a); why != "" && !g.allowPrivate(ctx) {
		return fmt.Errorf("%s resolves to %s, %s; webhooks go only to public addresses unless the operator allows private targets", host, a, why)
	}
	return nil
}

// checkURL validates a webhook URL: absolute http or https, a host that
// resolves only to addresses a delivery may reach. The address is judged
// before the scheme, so the first reason given is the weightier one.
func (g *guard) checkURL(ctx context.Context, raw string) error {
	bad := func(msg string) error { return app.Invalid(app.FieldError{Field: "url", Message: msg}) }
	if raw == "" {
		return bad("is required")
	}
	if len(raw) > 2048 {
		return bad("is longer than 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return bad("must be an absolute https:// URL, like https://example.com/hooks/smartbot")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("must not have a #fragment, which is never sent")
	}
	host := u.Hostname()
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return bad(fmt.Sprintf("has a host, %s, that does not resolve to an address", host))
	}
	for _, a := range addrs {
		if err := g.refuse(ctx, host, a); err != nil {
			return bad(err.Error())
		}
	}
	if u.Scheme == "http" && !g.allowPrivate(ctx) {
		return bad("must use https://; plain http:// is allowed only when the operator allows private targets (webhooks.allow_private)")
	}
	return nil
}

// dial connects to the first address of addr's host that the guard allows.
// It resolves the host itself rather than letting the dialer do it, so the
// addresses it judges are the ones it connects to.
func (g *guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve %s: %w", host, err)
	}
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		// The last word: whatever address the socket is about to connect
		// to is judged again, so no path around the lookup above reaches
		// a private address.
		ControlContext: func(ctx context.Context, network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			return g.refuse(ctx, host, ap.Addr())
		}}
	var firstErr error
	for _, a := range addrs {
		if err := g.refuse(ctx, host, a); err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		firstErr = cmpErr(firstErr, err)
	}
	return nil, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// client is the HTTP client of deliveries: the guard's dialer, no proxy
// from the environment (a proxy would connect on our behalf, past the
// guard), and no redirects followed (a redirect is a failure the owner
// fixes by saving the final URL; following it could lead anywhere).
func (g *guard) client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.dial,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 0, // the attempt's own deadline bounds it
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

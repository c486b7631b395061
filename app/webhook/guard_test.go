package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/store"
)

func TestURLsReachingTheMachineOrItsNetworkAreRefusedUnlessPrivateTargetsAreAllowed(t *testing.T) {
	resolver := names{
		"internal.test": {addrs("10.20.30.40")},
		"mixed.test":    {addrs("203.0.113.7", "192.168.1.9")},
		"cgnat.test":    {addrs("100.64.0.1")},
		"ula.test":      {addrs("fd00::1")},
		"public.test":   {addrs("203.0.113.7")},
	}
	e := newEnv(t, webhook.Options{Resolver: resolver})
	for _, tc := range []struct{ url, why string }{
		{"https://127.0.0.1/hooks", "loopback"},
		{"http://127.0.0.1:8080/hooks", "loopback"},
		{"http://[::1]/hooks", "loopback"},
		{"http://169.254.169.254/latest/meta-data", "link-local"},
		{"http://10.0.0.1/hooks", "private"},
		{"https://172.16.5.4/hooks", "private"},
		{"https://internal.test/hooks", "private"},
		{"https://mixed.test/hooks", "private"},
		{"https://cgnat.test/hooks", "reserved"},
		{"https://ula.test/hooks", "private"},
		{"https://[::ffff:127.0.0.1]/hooks", "loopback"},
		{"https://[64:ff9b::a00:1]/hooks", "private"},
		{"https://0.0.0.0/hooks", "unspecified"},
		{"https://239.1.2.3/hooks", "multicast"},
		{"https://nowhere.test/hooks", "does not resolve"},
		{"http://public.test/hooks", "https"}, // plain http only with private targets allowed
	} {
		_, err := e.svc.Create(context.Background(), webhook.NewWebhook{URL: tc.url})
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), tc.why) {
			t.Errorf("%s: got %v, want it refused as %s", tc.url, err, tc.why)
		}
	}
	if _, err := e.svc.Create(context.Background(), webhook.NewWebhook{URL: "https://public.test/hooks"}); err != nil {
		t.Errorf("a public https URL was refused: %v", err)
	}

	if err := e.svc.SetAllowPrivate(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://127.0.0.1/hooks", "http://[::1]/hooks", "http://169.254.169.254/", "http://10.0.0.1/", "https://internal.test/hooks"} {
		if _, err := e.svc.Create(context.Background(), webhook.NewWebhook{URL: u}); err != nil {
			t.Errorf("with private targets allowed, %s was refused: %v", u, err)
		}
	}
}

func TestTheGuardChecksAgainWhenADeliveryConnects(t *testing.T) {
	rc := newReceiver(t, nil)
	port := rc.url[strings.LastIndex(rc.url, ":")+1 : strings.LastIndex(rc.url, "/")]
	// rebind.test is public when the webhook is saved and loopback when
	// the delivery connects.
	resolver := names{"rebind.test": {addrs("203.0.113.7"), addrs("127.0.0.1")}}
	e := newEnv(t, webhook.Options{Resolver: resolver})
	rebound := e.hook(t, "https://rebind.test:"+port+"/hooks")

	// And a loopback endpoint saved while private targets were allowed,
	// delivered to after they no longer are.
	e.svc.SetAllowPrivate(context.Background(), true)
	loop := e.hook(t, rc.url)
	e.svc.SetAllowPrivate(context.Background(), false)

	for _, w := range []app.Webhook{rebound, loop} {
		if err := e.deliver(t, w, e.emit(t, order), 1); err == nil {
			t.Errorf("%s: the delivery succeeded", w.URL)
		}
		if l := e.logs(t, w)[0]; l.Outcome != store.WebhookFailed || !strings.Contains(l.Error, "public addresses") {
			t.Errorf("%s: logged %s: %q", w.URL, l.Outcome, l.Error)
		}
	}
	if n := rc.count.Load(); n != 0 {
		t.Errorf("the receiver on loopback got %d requests", n)
	}
}

func TestDeliveriesIgnoreProxyEnvironmentVariables(t *testing.T) {
	proxy := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	rc := newReceiver(t, nil)
	t.Setenv("HTTP_PROXY", proxy.url)
	t.Setenv("HTTPS_PROXY", proxy.url)
	t.Setenv("NO_PROXY", "")
	// By name: Go never proxies a request to a loopback address.
	e := newEnv(t, webhook.Options{AllowPrivate: true, Resolver: names{"hooks.test": {addrs("127.0.0.1")}}})
	w := e.hook(t, strings.Replace(rc.url, "127.0.0.1", "hooks.test", 1))
	if err := e.deliver(t, w, e.emit(t, order), 1); err != nil {
		t.Fatal(err)
	}
	if proxy.count.Load() != 0 || rc.count.Load() != 1 {
		t.Errorf("the proxy got %d requests and the endpoint %d", proxy.count.Load(), rc.count.Load())
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks a running server's /readyz and exits non-zero unless it
// answers 200. The container image has no shell or curl; its HEALTHCHECK
// runs this.
func healthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address the server listens on, host:port")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs("healthcheck", rest, ""); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fs.bad("addr", "is not host:port, like 127.0.0.1:8080 or :8080")
	}
	// A server listening on every interface is reached on loopback.
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d: %s", url, res.StatusCode, body)
	}
	fmt.Fprintf(stdout, "ready: %s", body)
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// bare serves the bytes of a file as JSON on every path with nothing else
// around them: the baseline that shows what Smartbot's routing, auth,
// database query and middleware cost on top of net/http.
func bare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("smartbot-load bare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:18081", "loopback address to listen on")
	file := fs.String("body", "", "file whose bytes every answer carries")
	lifetime := fs.Duration("lifetime", 15*time.Minute, "stop after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr %q is not host:port", *addr)
	}
	if err := checkLoopback(host); err != nil {
		return err
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "bare: serving %d bytes of %s on http://%s for at most %s\n", len(body), *file, ln.Addr(), *lifetime)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

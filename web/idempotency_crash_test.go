package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
)

// The crash test runs the server in a child process (this test binary,
// re-run as TestIdempotencyCrashChild) that kills itself with SIGKILL at
// one step of an idempotent request, then starts it again on the same data
// directory and retries the request with the same key.

const (
	envCrashDir  = "SMARTBOT_CRASH_CHILD_DIR"
	envCrashStep = "SMARTBOT_CRASH_CHILD_STEP"
)

// TestIdempotencyCrashChild is the child: it serves the data directory in
// envCrashDir and dies at envCrashStep. It does nothing in a normal run.
func TestIdempotencyCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("runs only as the child of TestARetryAfterACrashAtAnyStepGetsTheAnswerAndOneChange")
	}
	step := os.Getenv(envCrashStep)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	qs := queue.New(db)
	broker := event.NewBroker()
	s := New(Options{DB: db, Queues: qs, Broker: broker, Emitter: event.NewEmitter(qs, broker, nil)})
	s.crashAt = func(at string) {
		if at == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	// The parent ends the child by closing its stdin.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	http.Serve(ln, s)
	db.Close()
}

// child is a running server process.
type child struct {
	cmd  *exec.Cmd
	addr string
	in   io.WriteCloser
}

func startChild(t *testing.T, dir, step string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdempotencyCrashChild$")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashStep+"="+step)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, in: in}
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			c.addr = addr
			go io.Copy(io.Discard, out)
			return c
		}
	}
	t.Fatalf("the child server did not start: %v", sc.Err())
	return nil
}

func TestARetryAfterACrashAtAnyStepGetsTheAnswerAndOneChange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, step := range []string{crashClaimed, crashChanged, crashCommitted} {
		t.Run("killed when "+step, func(t *testing.T) {
			dir := t.TempDir()
			key := crashSetup(t, dir)
			body := `{"sku":"TEA-1","name":"Rooibos tea","price":1250,"currency":"ZAR"}`
			send := func(c *child) (*http.Response, []byte, error) {
				req, _ := http.NewRequest("POST", "http://"+c.addr+"/api/products", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "order-42")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return nil, nil, err
				}
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				return res, b, err
			}

			doomed := startChild(t, dir, step)
			if res, _, err := send(doomed); err == nil {
				t.Fatalf("the request was answered (%d) although the server died at %q", res.StatusCode, step)
			}
			var exit *exec.ExitError
			if err := doomed.cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child did not die by SIGKILL: %v", err)
			}

			c := startChild(t, dir, "")
			res, first, err := send(c)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("retry after a crash at %q: %d %s", step, res.StatusCode, first)
			}
			wantReplay := step == crashCommitted
			if got := res.Header.Get("Idempotent-Replayed") == "true"; got != wantReplay {
				t.Errorf("Idempotent-Replayed = %v, want %v (the change had committed: %v)", got, wantReplay, wantReplay)
			}
			if !strings.HasPrefix(res.Header.Get("Location"), "/api/products/prd_") {
				t.Errorf("Location = %q", res.Header.Get("Location"))
			}
			res, again, err := send(c)
			if err != nil || res.StatusCode != http.StatusCreated || string(again) != string(first) || res.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("a second retry is not the same answer: %v %v\n%s\n%s", err, res.StatusCode, again, first)
			}
			c.in.Close()
			c.cmd.Wait()

			var p app.Product
			if err := json.Unmarshal(first, &p); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(context.Background(), store.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ps, err := db.Products(context.Background(), "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || ps[0].ID != p.ID {
				t.Errorf("products after the crash and two retries: %+v, want exactly %s", ps, p.ID)
			}
			events, err := db.ListEvents(context.Background(), store.EventFilter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Type != app.ProductUpdated {
				t.Errorf("events: %d, want one product_updated", len(events))
			}
		})
	}
}

// crashSetup makes a migrated data directory with an owner and their API key.
func crashSetup(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accounts := account.New(account.Options{DB: db})
	u, err := accounts.CreateUser(ctx, account.NewUser{Email: "owner@shop.test", Role: app.RoleOwner, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := accounts.CreateAPIKey(ctx, account.NewAPIKey{Name: "crash test", Role: app.RoleOwner, UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

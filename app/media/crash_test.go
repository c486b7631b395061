package media_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
	"smartbot/queue"
	"smartbot/store"
)

// The crash test processes a picture in a child process (this test binary,
// re-run as TestMediaCrashChild) that kills itself with SIGKILL at one step
// of the job, then lets a runner in the test's own process take the job up
// again once the dead child's claim has lapsed.

const (
	envMediaCrashDir  = "SMARTBOT_MEDIA_CRASH_DIR"
	envMediaCrashStep = "SMARTBOT_MEDIA_CRASH_STEP"
)

// TestMediaCrashChild is the child: it works the media queue of the data
// directory in envMediaCrashDir and dies at envMediaCrashStep. It does
// nothing in a normal run.
func TestMediaCrashChild(t *testing.T) {
	dir := os.Getenv(envMediaCrashDir)
	if dir == "" {
		t.Skip("runs only as the child of TestAPictureJobKilledMidWayFinishesAfterRestartWithNoOrphans")
	}
	step := os.Getenv(envMediaCrashStep)
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	files, err := media.OpenFiles(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	qs := queue.New(db)
	svc := media.New(media.Options{DB: db, Queues: qs, Files: files})
	media.SetCrashAt(svc, func(at string) {
		if at == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	})
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs})
	r.Handle(queue.MediaProcessing, svc.Process)
	r.Start()
	time.Sleep(time.Minute) // only a guard: the job kills this process long before
	t.Fatalf("the child did not reach step %q", step)
}

func TestAPictureJobKilledMidWayFinishesAfterRestartWithNoOrphans(t *testing.T) {
	for _, step := range []string{"wrote large", "wrote medium", "wrote thumb"} {
		t.Run(step, func(t *testing.T) {
			s := newShop(t)
			m := s.upload(t, "sideways.jpg", mediatest.JPEG(1200, 1600, mediatest.Orientation(6)))

			child := exec.Command(os.Args[0], "-test.run=^TestMediaCrashChild$")
			child.Env = append(os.Environ(), envMediaCrashDir+"="+s.dir, envMediaCrashStep+"="+step)
			out, err := child.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child ended with %v, want killed at %q:\n%s", err, step, out)
			}
			if got, _ := s.db.Media(context.Background(), m.ID); got.Status != app.MediaProcessing {
				t.Fatalf("after the crash the record is %s, want still processing", got.Status)
			}

			done := make(chan error, 1)
			r := queue.NewRunner(queue.RunnerOptions{Queues: s.qs, PollInterval: 5 * time.Millisecond})
			r.Handle(queue.MediaProcessing, func(ctx context.Context, job queue.Job) error {
				err := s.svc.Process(ctx, job)
				done <- err
				return err
			})
			r.Start()
			t.Cleanup(func() { r.Shutdown(context.Background()) })
			// The dead child's claim lapses a Timeout (a minute) after
			// its last renewal.
			s.clock.Add(time.Minute + 10*time.Second)
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("the rerun failed: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the killed job never ran again")
			}
			got, err := s.db.Media(context.Background(), m.ID)
			if err != nil || got.Status != app.MediaReady {
				t.Fatalf("after the rerun: %+v %v, want ready", got, err)
			}
			want := []string{got.StorageKey, got.StorageKey + ".large.jpg", got.StorageKey + ".medium.jpg", got.StorageKey + ".thumb.jpg"}
			slices.Sort(want)
			if files := s.stored(t); !slices.Equal(files, want) {
				t.Errorf("files after the rerun:\n%q\nwant exactly\n%q", files, want)
			}
		})
	}
}

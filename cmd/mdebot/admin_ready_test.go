package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakePinger is a database whose writes succeed or fail as told.
type fakePinger struct{ err error }

func (p *fakePinger) Ping(context.Context) error { return p.err }

// nopBotObserver is a bot.Observer that does nothing.
type nopBotObserver struct{}

func (nopBotObserver) Envelope(string, time.Duration) {}
func (nopBotObserver) Command(string, string)         {}
func (nopBotObserver) SocketConnected(bool, bool)     {}
func (nopBotObserver) Shed(string, string)            {}

func readyz(t *testing.T, r *readiness) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestReadinessNeedsTheSocketUpAndTheDatabaseWritable(t *testing.T) {
	db := &fakePinger{}
	r := newReadiness(db)
	// Each probe is 2s after the one before, past the database check's
	// cache, so every probe sees the database as it is now.
	now := time.Date(2026, 11, 23, 11, 59, 54, 0, time.UTC)
	r.now = func() time.Time { return now }
	obs := r.observer(nopBotObserver{})
	type answer struct {
		Code int
		Body string
	}
	var got []answer
	add := func() {
		code, body := readyz(t, r)
		got = append(got, answer{code, body})
		now = now.Add(2 * time.Second)
	}
	add()
	obs.SocketConnected(true, false)
	add()
	db.err = errors.New("storage: writing to /var/lib/mdebot.db: read-only file system")
	add()
	db.err = nil
	obs.SocketConnected(false, false)
	add()
	obs.SocketConnected(true, true)
	add()
	want := []answer{
		{503, "not ready: Slack Socket Mode not connected yet\n"},
		{200, "ready\n"},
		{503, "not ready: database not writable: storage: writing to /var/lib/mdebot.db: read-only file system\n"},
		{503, "not ready: Slack Socket Mode disconnected since 2026-11-23T12:00:00Z\n"},
		{200, "ready\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/readyz answers (-want +got):\n%s", diff)
	}
}

// slowPinger is a database whose writes wait for release, counting them.
type slowPinger struct {
	release chan struct{}
	calls   atomic.Int32
	err     error
}

func (p *slowPinger) Ping(ctx context.Context) error {
	p.calls.Add(1)
	select {
	case <-p.release:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestReadinessProbesShareOneDatabaseCheckAndCacheItForASecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := &slowPinger{release: make(chan struct{})}
		r := newReadiness(db)
		r.observer(nopBotObserver{}).SocketConnected(true, false)

		// 2,000 probes while the database is slow: one write, one goroutine
		// for it, whatever the number of probes.
		const probes = 2000
		codes := make(chan int, probes)
		for range probes {
			go func() {
				code, _ := readyz(t, r)
				codes <- code
			}()
		}
		synctest.Wait()
		if n := db.calls.Load(); n != 1 {
			t.Fatalf("%d probes waiting on a slow database made %d writes, want 1", probes, n)
		}
		close(db.release)
		for range probes {
			if code := <-codes; code != http.StatusOK {
				t.Fatalf("/readyz = %d once the write went through, want 200", code)
			}
		}

		// Within a second the result is reused; after it, checked again.
		time.Sleep(readyCacheTTL / 2)
		db.err = errors.New("read-only file system")
		if code, _ := readyz(t, r); code != http.StatusOK || db.calls.Load() != 1 {
			t.Errorf("probe 0.5s later = %d after %d writes, want 200 from the cached check", code, db.calls.Load())
		}
		time.Sleep(readyCacheTTL)
		if code, body := readyz(t, r); code != http.StatusServiceUnavailable || db.calls.Load() != 2 {
			t.Errorf("probe 1.5s later = %d %q after %d writes, want 503 from a new check", code, body, db.calls.Load())
		}
	})
}

func TestAReadinessProbeThatGivesUpLeavesTheCheckToTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := &slowPinger{release: make(chan struct{})}
		r := newReadiness(db)
		r.observer(nopBotObserver{}).SocketConnected(true, false)
		ctx, cancel := context.WithCancel(t.Context())
		first := make(chan string, 1)
		go func() { first <- r.check(ctx) }()
		synctest.Wait()
		cancel()
		if got := <-first; got != "database check not finished: context canceled" {
			t.Errorf("the probe that gave up got %q", got)
		}
		close(db.release)
		if got := r.check(t.Context()); got != "" || db.calls.Load() != 1 {
			t.Errorf("next probe = %q after %d writes, want ready from the same check", got, db.calls.Load())
		}
	})
}

func TestBackupIsServedToLoopbackClientsOnly(t *testing.T) {
	h := backupHandler(func(_ context.Context, w io.Writer) (int64, error) {
		n, err := io.WriteString(w, "bbolt bytes")
		return int64(n), err
	}, backupOptions{token: []byte(testBackupToken)}, discardLogger())
	for _, tc := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5555", http.StatusOK},
		{"[::1]:5555", http.StatusOK},
		{"10.0.0.7:5555", http.StatusForbidden},
		{"[2001:db8::1]:5555", http.StatusForbidden},
		{"garbage", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9464/backup", nil)
		req.Header.Set("Authorization", "Bearer "+testBackupToken)
		req.RemoteAddr = tc.remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("POST /backup from %s = %d, want %d", tc.remote, rec.Code, tc.want)
		}
	}
}

func TestBackupRefusesALoopbackRequestNamingAnotherHost(t *testing.T) {
	h := backupHandler(func(_ context.Context, w io.Writer) (int64, error) {
		n, err := io.WriteString(w, "bbolt bytes")
		return int64(n), err
	}, backupOptions{token: []byte(testBackupToken)}, discardLogger())
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:9464", http.StatusOK},
		{"[::1]:9464", http.StatusOK},
		{"localhost:9464", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		// A browser on the bot's host led there by DNS rebinding sends the
		// attacker's name: it must not read the database.
		{"evil.example:9464", http.StatusForbidden},
		{"evil.example", http.StatusForbidden},
		{"", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodPost, "/backup", nil)
		req.Header.Set("Authorization", "Bearer "+testBackupToken)
		req.RemoteAddr = "127.0.0.1:5555"
		req.Host = tc.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("POST /backup with Host %q = %d, want %d", tc.host, rec.Code, tc.want)
		}
	}
}

func TestAFailedBackupSaysSoInItsTrailer(t *testing.T) {
	h := backupHandler(func(_ context.Context, w io.Writer) (int64, error) {
		n, _ := io.WriteString(w, "half a datab")
		return int64(n), errors.New("disk on fire")
	}, backupOptions{token: []byte(testBackupToken)}, discardLogger())
	srv := httptest.NewServer(h)
	defer srv.Close()
	var sink discardWriter
	err := fetchBackup(t.Context(), srv.URL+"/backup", []byte(testBackupToken), &sink)
	if err == nil || err.Error() != "the running bot's backup is incomplete (failed: disk on fire)" {
		t.Errorf("fetchBackup = %v, want it to refuse the cut copy", err)
	}
}

type discardWriter struct{}

func (*discardWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestLoopbackAddrDialsLoopbackForAnUnspecifiedHost(t *testing.T) {
	for in, want := range map[string]string{
		":9464":          "127.0.0.1:9464",
		"0.0.0.0:9464":   "127.0.0.1:9464",
		"[::]:9464":      "127.0.0.1:9464",
		"127.0.0.1:9464": "127.0.0.1:9464",
		"[::1]:9464":     "[::1]:9464",
	} {
		if got := loopbackAddr(in); got != want {
			t.Errorf("loopbackAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

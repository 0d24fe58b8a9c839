package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testBackupToken is the backup token of these tests.
const testBackupToken = "0123456789abcdef0123456789abcdef-test-token"

// endlessBackup is a backupFunc that writes forever, like a copy of a huge
// database, until its writer fails; returned receives that error.
type endlessBackup struct {
	started  chan struct{}
	returned chan error
	once     sync.Once
}

func newEndlessBackup() *endlessBackup {
	return &endlessBackup{started: make(chan struct{}), returned: make(chan error, 1)}
}

func (b *endlessBackup) backup(_ context.Context, w io.Writer) (int64, error) {
	b.once.Do(func() { close(b.started) })
	chunk := make([]byte, 32<<10)
	var n int64
	for {
		m, err := w.Write(chunk)
		n += int64(m)
		if err != nil {
			b.returned <- err
			return n, err
		}
	}
}

// stalledClient posts to url with the token, reads the first byte of the
// reply and then stops reading. The reply is closed at the test's end.
func stalledClient(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testBackupToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /backup = %s", resp.Status)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
}

// waitReturned waits for the backup to give up, or fails the test after
// a generous bound (a backup that never gives up holds the database's
// read transaction for as long as the client likes).
func waitReturned(t *testing.T, b *endlessBackup) error {
	t.Helper()
	select {
	case err := <-b.returned:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the backup still runs for a client that stopped reading")
		return nil
	}
}

func TestBackupNeedsTheTokenFromTheFile(t *testing.T) {
	ok := func(_ context.Context, w io.Writer) (int64, error) {
		n, err := io.WriteString(w, "bbolt bytes")
		return int64(n), err
	}
	for _, tc := range []struct {
		name, configured, header string
		want                     int
	}{
		{"the token is served", testBackupToken, "Bearer " + testBackupToken, http.StatusOK},
		{"no Authorization is refused", testBackupToken, "", http.StatusUnauthorized},
		{"another token is refused", testBackupToken, "Bearer " + strings.ToUpper(testBackupToken), http.StatusUnauthorized},
		{"the token as Basic is refused", testBackupToken, "Basic " + testBackupToken, http.StatusUnauthorized},
		{"an empty token is refused when none is configured", "", "Bearer ", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := backupHandler(ok, backupOptions{token: []byte(tc.configured)}, discardLogger())
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9464/backup", nil)
			req.RemoteAddr = "127.0.0.1:5555"
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("POST /backup with Authorization %q = %d, want %d", tc.header, rec.Code, tc.want)
			}
			if rec.Code == http.StatusOK && rec.Body.String() != "bbolt bytes" {
				t.Errorf("body = %q", rec.Body.String())
			}
		})
	}
}

func TestABackupClientThatStopsReadingIsCutOff(t *testing.T) {
	b := newEndlessBackup()
	srv := httptest.NewServer(backupHandler(b.backup, backupOptions{
		token: []byte(testBackupToken), stall: 200 * time.Millisecond}, discardLogger()))
	t.Cleanup(srv.Close) // after the client's reply is closed
	stalledClient(t, srv.URL+"/backup")
	if err := waitReturned(t, b); err == nil {
		t.Error("the cut-off backup returned no error")
	}
}

func TestABackupIsCutOffAtItsTimeoutEvenWhileTheClientReads(t *testing.T) {
	b := newEndlessBackup()
	srv := httptest.NewServer(backupHandler(b.backup, backupOptions{
		token: []byte(testBackupToken), stall: time.Hour, timeout: 300 * time.Millisecond}, discardLogger()))
	t.Cleanup(srv.Close) // after the client's reply is closed
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/backup", nil)
	req.Header.Set("Authorization", "Bearer "+testBackupToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // reads as fast as it can
	if err := waitReturned(t, b); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("backup ended with %v, want its deadline", err)
	}
	if got := resp.Trailer.Get(backupTrailer); got == "ok" {
		t.Errorf("trailer of a cut-off backup = %q", got)
	}
}

func TestOnlyOneBackupRunsAtATime(t *testing.T) {
	b := newEndlessBackup()
	srv := httptest.NewServer(backupHandler(b.backup, backupOptions{
		token: []byte(testBackupToken), stall: time.Hour}, discardLogger()))
	t.Cleanup(srv.Close) // after the client's reply is closed
	stalledClient(t, srv.URL+"/backup")
	<-b.started

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/backup", nil)
	req.Header.Set("Authorization", "Bearer "+testBackupToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "already running") {
		t.Errorf("a second backup while one runs = %s %q, want 409", resp.Status, body)
	}
}

func TestStoppingTheAdminListenerCutsOffABackup(t *testing.T) {
	b := newEndlessBackup()
	a, err := startAdmin("127.0.0.1:0", discardLogger(), adminRoutes{backup: b.backup, backupToken: []byte(testBackupToken)})
	if err != nil {
		t.Fatal(err)
	}
	stalledClient(t, "http://"+a.ln.Addr().String()+"/backup")
	<-b.started
	a.stop()
	select {
	case err := <-b.returned:
		if err == nil {
			t.Error("the cut-off backup returned no error")
		}
	default:
		t.Error("the admin listener stopped while the backup still held the database")
	}
}

func TestBackupIsOffWithoutAToken(t *testing.T) {
	b := newEndlessBackup()
	a, err := startAdmin("127.0.0.1:0", discardLogger(), adminRoutes{backup: b.backup})
	if err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+a.ln.Addr().String()+"/backup", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /backup with no token configured = %s, want 404", resp.Status)
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mdebot/mdebot/defender/defendertest"
	"github.com/mdebot/mdebot/storage/etcdstore/etcdtest"
)

// The test binary's embedded etcd, started by the first test that needs it
// and stopped by TestMain; child processes reach it on loopback. With
// MDEBOT_TEST_ETCD set to a client URL, the tests use that etcd instead
// (.ci/run points it at Debian's etcd-server).
var etcdServer struct {
	once     sync.Once
	endpoint string
	stop     func()
	err      error
	prefixes atomic.Int64
}

func sharedEtcd(t testing.TB) string {
	t.Helper()
	etcdServer.once.Do(func() {
		if ep := os.Getenv("MDEBOT_TEST_ETCD"); ep != "" {
			etcdServer.endpoint = ep
			return
		}
		etcdServer.endpoint, etcdServer.stop, etcdServer.err = etcdtest.Run()
	})
	if etcdServer.err != nil {
		t.Fatal(etcdServer.err)
	}
	return etcdServer.endpoint
}

func stopEtcd() {
	if etcdServer.stop != nil {
		etcdServer.stop()
	}
}

// newEtcdPrefix returns a prefix no other test (or earlier run on a
// shared etcd) has used.
func newEtcdPrefix() string {
	return fmt.Sprintf("/mdebot/test-%d-%d/", os.Getpid(), etcdServer.prefixes.Add(1))
}

func TestAnIsolationRunsOnTheEtcdBackend(t *testing.T) {
	w := newWorld(t, spec{etcd: true, mde: []defendertest.Option{quick}})
	ctx := w.ctx()
	c := w.start()
	w.serving(ctx, c, 1)

	w.command(ctx, alice, "isolate ws-0042 ransomware note found")
	card := w.card(ctx, "awaiting approval")
	w.click(ctx, bob, card, "mde_approve")
	w.reply(ctx, card, "Submitted to Defender")
	w.reply(ctx, card, "Defender: Succeeded")
	w.cardState(ctx, card, ": succeeded")
	if n := w.mde.CallCount("actions.isolate"); n != 1 {
		t.Errorf("%d isolate POSTs, want exactly 1", n)
	}
	if !strings.Contains(c.out.String(), w.etcdPrefix) {
		t.Errorf("serve did not log the etcd store it uses:\n%s", c.out.String())
	}

	// With etcd, the offline commands read while the bot runs.
	v := w.startWith(nil, "audit", "verify", "--config", w.config)
	if code := v.wait(ctx); code != exitOK || !strings.Contains(v.out.String(), "verified") {
		t.Errorf("audit verify: exit %d\n%s", code, v.out.String())
	}
	e := w.startWith(nil, "export", "--config", w.config, "--format", "json")
	if code := e.wait(ctx); code != exitOK || !strings.Contains(e.out.String(), `"succeeded"`) {
		t.Errorf("export: exit %d\n%s", code, e.out.String())
	}
}

func TestCheckReachesEtcd(t *testing.T) {
	w := newWorld(t, spec{etcd: true})
	code, lines := runCheck(t, w, nil)
	if code != exitOK || !hasLine(lines, "✓ ", "etcd answers at", w.etcdPrefix, "is empty") {
		t.Fatalf("exit %d; report:\n%s", code, strings.Join(lines, "\n"))
	}
	// The check wrote nothing: the prefix is still empty.
	if _, lines := runCheck(t, w, nil); !hasLine(lines, "✓ ", "is empty") {
		t.Errorf("a second check found the prefix initialized:\n%s", strings.Join(lines, "\n"))
	}

	cfg := filepath.Join(w.dir, "down.yaml")
	w.writeFile(cfg, "storage:\n  backend: etcd\n  etcd:\n    endpoints: [http://127.0.0.1:1]\nslack:\n  approvers: [U0BOB00001]\n")
	c := w.startWith(nil, "check", "--config", cfg)
	if code := c.wait(w.ctx()); code == exitOK || !strings.Contains(c.out.String(), "✗ etcd (storage.etcd.endpoints http://127.0.0.1:1)") {
		t.Errorf("check with no etcd: exit %d\n%s", code, c.out.String())
	}
}

// etcdConfigFile writes a configuration using the embedded etcd under a
// new prefix.
func etcdConfigFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "etcd.yaml")
	yaml := fmt.Sprintf("storage:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %s\nslack:\n  approvers: [U0APPR]\n",
		sharedEtcd(t), newEtcdPrefix())
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMigrateCopiesABoltDatabaseIntoEtcdOnce(t *testing.T) {
	_, dbPath := offlineFixture(t, 5)
	cfg := etcdConfigFile(t)
	code, out, errOut := runMain(t, nil, "migrate", "--config", cfg, "--from-bolt", dbPath)
	if code != exitOK || !strings.Contains(out, "5 requests, 5 audit records verified") {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runMain(t, nil, "audit", "verify", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "5 records") {
		t.Errorf("audit verify on etcd: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runMain(t, nil, "export", "--config", cfg, "--since", "30d", "--format", "json")
	if code != exitOK || strings.Count(out, `"R-00`) != 5 {
		t.Errorf("export from etcd: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runMain(t, nil, "migrate", "--config", cfg, "--from-bolt", dbPath)
	if code != exitFatal || !strings.Contains(errOut, "already holds requests or audit records") {
		t.Errorf("a second migrate: exit %d, stderr %q; want a refusal", code, errOut)
	}
}

func TestMigrateNeedsTheEtcdBackendAndItsFlag(t *testing.T) {
	boltCfg, dbPath := offlineFixture(t, 1)
	if code, _, errOut := runMain(t, nil, "migrate", "--config", boltCfg, "--from-bolt", dbPath); code != exitFatal ||
		!strings.Contains(errOut, "set it to etcd") {
		t.Errorf("migrate into a bolt config: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runMain(t, nil, "migrate", "--config", etcdConfigFile(t), "--from-bolt", dbPath+".missing"); code != exitFatal ||
		!strings.Contains(errOut, "no such file") {
		t.Errorf("migrate from a missing file: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(dbPath + ".missing"); err == nil {
		t.Error("migrate created the missing database")
	}
	if code, _, errOut := runMain(t, nil, "migrate", "--config", boltCfg); code != exitUsage ||
		!strings.Contains(errOut, "--from-bolt DB is required") {
		t.Errorf("migrate without --from-bolt: exit %d, stderr %q", code, errOut)
	}
}

func TestBackupOnEtcdPointsToEtcdctl(t *testing.T) {
	cfg := etcdConfigFile(t)
	code, _, errOut := runMain(t, nil, "backup", "--config", cfg, "--out", filepath.Join(t.TempDir(), "b.db"))
	if code != exitFatal || !strings.Contains(errOut, "etcdctl --endpoints URL snapshot save FILE") {
		t.Errorf("backup on etcd: exit %d, stderr %q", code, errOut)
	}
}

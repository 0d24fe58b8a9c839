// Package etcdtest starts a real etcd server inside a test process
// (go.etcd.io/etcd/server/v3/embed), on loopback with its data in a
// temporary directory: not a fake of etcd, the server itself.
package etcdtest

import (
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startTimeout bounds how long Start waits for the server to be ready.
const startTimeout = 30 * time.Second

// Start runs an embedded single-member etcd until the test ends and
// returns its client URL. Its fsyncs are off: the tests using it are about
// etcd's transactions, not the disk.
func Start(t testing.TB) string {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{loopback}, []url.URL{loopback}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{loopback}, []url.URL{loopback}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("etcdtest: starting etcd: %v", err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		t.Fatalf("etcdtest: etcd failed: %v", err)
	case <-time.After(startTimeout):
		t.Fatalf("etcdtest: etcd not ready after %s", startTimeout)
	}
	return "http://" + e.Clients[0].Addr().String()
}

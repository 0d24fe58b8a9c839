// Package etcdtest starts a real etcd server inside a test process
// (go.etcd.io/etcd/server/v3/embed), on loopback with its data in a
// temporary directory: not a fake of etcd, the server itself.
package etcdtest

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startTimeout bounds how long Run waits for the server to be ready.
const startTimeout = 30 * time.Second

// Run starts an embedded single-member etcd on loopback, with its data in
// a new temporary directory, and returns its client URL and a function
// that stops it and removes the directory (for a TestMain). Its fsyncs are
// off: the tests using it are about etcd's transactions, not the disk.
func Run() (endpoint string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "etcdtest-")
	if err != nil {
		return "", nil, fmt.Errorf("etcdtest: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{loopback}, []url.URL{loopback}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{loopback}, []url.URL{loopback}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("etcdtest: starting etcd: %w", err)
	}
	stop = func() { e.Close(); os.RemoveAll(dir) }
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		stop()
		return "", nil, fmt.Errorf("etcdtest: etcd failed: %w", err)
	case <-time.After(startTimeout):
		stop()
		return "", nil, errors.New("etcdtest: etcd not ready in time")
	}
	return "http://" + e.Clients[0].Addr().String(), stop, nil
}

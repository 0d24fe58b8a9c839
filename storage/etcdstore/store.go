package etcdstore

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/storage"
)

// SchemaVersion is the layout this package reads and writes under a
// prefix (meta/schema).
const SchemaVersion = 1

// DefaultDialTimeout bounds Open's first contact with etcd.
const DefaultDialTimeout = 5 * time.Second

// Config says which etcd to use and where in it mdebot's keys live.
type Config struct {
	// Endpoints are etcd's client URLs (storage.etcd.endpoints).
	Endpoints []string
	// Prefix is prepended to every key (storage.etcd.prefix), so that
	// several mdebot installations share one etcd: "/mdebot/prod/".
	Prefix string
	// CAFile, CertFile and KeyFile are PEM files for TLS
	// (storage.etcd.tls.*): the CA that signed etcd's certificate, and
	// mdebot's client certificate and key. All empty: etcd's endpoints are
	// used as they say (http or https with the system roots).
	CAFile, CertFile, KeyFile string
	// Username and Password authenticate to etcd when Username is set
	// (storage.etcd.username, MDEBOT_ETCD_PASSWORD).
	Username, Password string
	// DialTimeout bounds the first contact; zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// AuditKey keys the audit chain exactly as storage.Options.AuditKey.
	AuditKey []byte
}

// Store is mdebot's etcd store. It is safe for concurrent use, and any
// number of Stores (in any number of processes) may share one prefix.
type Store struct {
	cli      *clientv3.Client
	prefix   string
	auditKey []byte // nil: plain audit records

	conflicts atomic.Int64 // transactions retried because another writer won
	announce  announcing   // the outbox's announcer (Announce)
	// fence, once Lead returns, makes every write conditional on the term.
	fence atomic.Pointer[fence]
	// claims is the lease of the envelopes' claims (ClaimEnvelope).
	claims claimLease
}

var (
	_ approvals.Store   = (*Store)(nil)
	_ approvals.History = (*Store)(nil)
)

// Open connects to etcd and checks (or, under an empty prefix, writes) the
// schema version. It refuses a prefix written by a newer mdebot
// (storage.ErrSchema). Close releases the connection.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	var key []byte
	if cfg.AuditKey != nil {
		if len(cfg.AuditKey) < storage.MinAuditKeyLen {
			return nil, fmt.Errorf("etcdstore: the audit key has %d bytes; it needs %d at least", len(cfg.AuditKey), storage.MinAuditKeyLen)
		}
		key = bytes.Clone(cfg.AuditKey)
	}
	cli, err := cfg.connect()
	if err != nil {
		return nil, err
	}
	s := &Store{cli: cli, prefix: cfg.Prefix, auditKey: key}
	initCtx, cancel := context.WithTimeout(ctx, cfg.dialTimeout())
	defer cancel()
	if err := s.init(initCtx); err != nil {
		cli.Close()
		return nil, err
	}
	return s, nil
}

// Probe connects to etcd and reads the schema under cfg.Prefix, writing
// nothing (mdebot check). It returns whether the prefix is empty, and an
// error if etcd cannot be reached or read, or the prefix holds another
// schema (storage.ErrSchema).
func Probe(ctx context.Context, cfg Config) (empty bool, err error) {
	cli, err := cfg.connect()
	if err != nil {
		return false, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.dialTimeout())
	defer cancel()
	resp, err := cli.Get(ctx, cfg.Prefix+keySchema)
	if err != nil {
		return false, fmt.Errorf("etcdstore: reading from %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	if len(resp.Kvs) == 0 {
		return true, nil
	}
	return false, checkSchema(cfg.Prefix, resp.Kvs[0].Value)
}

func (cfg Config) dialTimeout() time.Duration {
	if cfg.DialTimeout <= 0 {
		return DefaultDialTimeout
	}
	return cfg.DialTimeout
}

// connect makes the client; it does not wait for etcd to answer.
func (cfg Config) connect() (*clientv3.Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("etcdstore: no endpoints")
	}
	tlsConfig, err := cfg.tls()
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: cfg.dialTimeout(),
		TLS:         tlsConfig,
		Username:    cfg.Username,
		Password:    cfg.Password,
		// The client's own log would repeat, in its format, what the
		// errors returned to mdebot say.
		Logger: zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: connecting to %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	return cli, nil
}

// tls builds the client's TLS configuration from the PEM files.
func (cfg Config) tls() (*tls.Config, error) {
	if cfg.CAFile == "" && cfg.CertFile == "" && cfg.KeyFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: reading the CA file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcdstore: %s holds no PEM certificate", cfg.CAFile)
		}
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("etcdstore: a client certificate needs both cert_file and key_file")
	}
	if cfg.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: loading the client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// init checks the schema under the prefix, writing it if the prefix is new.
func (s *Store) init(ctx context.Context) error {
	k := s.prefix + keySchema
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, strconv.Itoa(SchemaVersion))).
		Else(clientv3.OpGet(k)).Commit()
	if err != nil {
		return fmt.Errorf("etcdstore: reading the schema under %q: %w", s.prefix, err)
	}
	if resp.Succeeded {
		return nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	var found []byte
	if len(kvs) == 1 {
		found = kvs[0].Value
	}
	return checkSchema(s.prefix, found)
}

func checkSchema(prefix string, found []byte) error {
	if string(found) != strconv.Itoa(SchemaVersion) {
		return fmt.Errorf("etcdstore: the schema under prefix %q is %q; this mdebot reads %d (upgrade mdebot, or choose another prefix): %w",
			prefix, found, SchemaVersion, storage.ErrSchema)
	}
	return nil
}

// Path names where the store is, for logs: the endpoints and prefix.
func (s *Store) Path() string {
	return strings.Join(s.cli.Endpoints(), ",") + " prefix " + strconv.Quote(s.prefix)
}

// Close closes the connection to etcd.
func (s *Store) Close() error { return s.cli.Close() }

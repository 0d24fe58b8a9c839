package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTheEtcdBackendReadsItsKeysAndPassword(t *testing.T) {
	const file = `storage:
  backend: etcd
  etcd:
    endpoints: [http://127.0.0.1:2379, https://etcd-1.example:2379]
    prefix: /mdebot/test/
    username: bot
slack: {approvers: [U0LEAD0001]}
`
	cfg, err := Parse("c.yaml", []byte(file), testEnv(map[string]string{"MDEBOT_ETCD_PASSWORD": " s3cret\n"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Etcd{Endpoints: []string{"http://127.0.0.1:2379", "https://etcd-1.example:2379"}, Prefix: "/mdebot/test/", Username: "bot"}
	got := cfg.Storage.Etcd
	if got.Password.Reveal() != "s3cret" {
		t.Errorf("password = %q, want the trimmed MDEBOT_ETCD_PASSWORD", got.Password.Reveal())
	}
	got.Password = want.Password
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(got.Password)); diff != "" || cfg.Storage.Backend != StorageEtcd {
		t.Errorf("backend %q, etcd (-want +got):\n%s", cfg.Storage.Backend, diff)
	}
}

func TestStorageProblems(t *testing.T) {
	tests := []struct {
		name, storage, want string
	}{
		{"the backend is bolt or etcd", "{backend: mysql, path: /x.db}", `storage.backend: "mysql" is not bolt or etcd`},
		{"bolt needs a path", "{backend: bolt}", "storage.path is required"},
		{"etcd needs endpoints", "{backend: etcd}", "storage.etcd.endpoints is required with storage.backend etcd"},
		{"plain http is for loopback only", "{backend: etcd, etcd: {endpoints: [http://etcd.example:2379]}}", "must be an https URL"},
		{"an endpoint is a URL", "{backend: etcd, etcd: {endpoints: [etcd:2379]}}", `"etcd:2379" is not an http or https URL`},
		{"credentials stay out of URLs", "{backend: etcd, etcd: {endpoints: ['https://u:p@etcd.example:2379']}}", "must not carry credentials"},
		{"the prefix is a directory", "{backend: etcd, etcd: {endpoints: [https://e.example], prefix: mdebot}}", `storage.etcd.prefix: "mdebot" must start and end with "/"`},
		{"a lease is whole seconds", "{backend: etcd, etcd: {endpoints: [https://e.example]}}\nha: {lease_ttl: 1500ms}", "ha.lease_ttl: 1.5s is not whole seconds"},
		{"a lease is a second at least", "{backend: etcd, etcd: {endpoints: [https://e.example]}}\nha: {lease_ttl: 500ms}", "ha.lease_ttl"},
		{"a client certificate needs its key", "{backend: etcd, etcd: {endpoints: [https://e.example], tls: {cert_file: /c.pem}}}", "needs both cert_file and key_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte("storage: "+tt.storage+"\nslack: {approvers: [U0LEAD0001]}\n"), testEnv(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
	cfg, err := Parse("c.yaml", []byte("storage: {backend: etcd, etcd: {endpoints: [https://e.example]}}\nslack: {approvers: [U0LEAD0001]}\n"), testEnv(nil))
	if err != nil {
		t.Fatalf("the etcd backend without storage.path = %v, want no problem", err)
	}
	host, _ := os.Hostname()
	if cfg.HA != (HA{LeaseTTL: 5 * time.Second, ReplicaID: host}) {
		t.Errorf("HA = %+v, want the 5s lease and the host name %q", cfg.HA, host)
	}
}

package metrics_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mdebot/mdebot/metrics"
)

func TestAuditHeadShowsTheChainsEndAtEachScrape(t *testing.T) {
	m := metrics.New()
	if got := scrape(t, m, "mdebot_audit_head"); len(got) != 0 {
		t.Errorf("before SetAuditHead: %q, want no sample", got)
	}
	head := metrics.AuditHead{Seq: 41, Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Keyed: true}
	var err error
	m.SetAuditHead(func() (metrics.AuditHead, error) { return head, err })
	want := []string{`mdebot_audit_head{hash="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",keyed="true"} 41`}
	if got := scrape(t, m, "mdebot_audit_head"); !cmp.Equal(got, want) {
		t.Errorf("scrape = %q, want %q", got, want)
	}
	head.Seq, head.Hash = 42, "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	want = []string{`mdebot_audit_head{hash="60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",keyed="true"} 42`}
	if got := scrape(t, m, "mdebot_audit_head"); !cmp.Equal(got, want) {
		t.Errorf("after a record: %q, want %q", got, want)
	}
	err = errors.New("database closed")
	if got := scrape(t, m, "mdebot_audit_head"); len(got) != 0 {
		t.Errorf("while the head cannot be read: %q, want no sample", got)
	}
}

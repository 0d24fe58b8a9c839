package etcdstore_test

import (
	"testing"

	"github.com/mdebot/mdebot/storage/etcdstore"
	"github.com/mdebot/mdebot/storage/etcdstore/etcdtest"
)

func TestOpenWritesTheSchemaAndReopens(t *testing.T) {
	ep := etcdtest.Start(t)
	ctx := t.Context()
	for range 2 {
		s, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: []string{ep}, Prefix: "/mdebot/test/"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
		s.Close()
	}
}

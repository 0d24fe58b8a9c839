package storage_test

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestAMarkIsRecordedOnceAndSurvivesAReopen(t *testing.T) {
	forEachBackend(t, testAMarkIsRecordedOnceAndSurvivesAReopen)
}

func testAMarkIsRecordedOnceAndSurvivesAReopen(t *testing.T, newStore func(testing.TB) func() store) {
	open := newStore(t)
	db := open()
	ctx := t.Context()
	if _, ok, err := db.Marked(ctx, "remind/R-1"); ok || err != nil {
		t.Fatalf("Marked before any mark = %v, %v", ok, err)
	}
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			first, err := db.Mark(ctx, "remind/R-1", "v1")
			if err != nil {
				t.Error(err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Errorf("%d concurrent marks saw first, want 1", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open()
	if first, err := db.Mark(ctx, "remind/R-1", "v2"); first || err != nil {
		t.Errorf("Mark after reopen = %v, %v; want false, nil", first, err)
	}
	if v, ok, err := db.Marked(ctx, "remind/R-1"); v != "v1" || !ok || err != nil {
		t.Errorf("Marked = %q, %v, %v; want v1", v, ok, err)
	}
	if _, err := db.Mark(ctx, "", "x"); err == nil {
		t.Error("an empty key was accepted")
	}
}

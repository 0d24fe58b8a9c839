package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mdebot/mdebot/defender"
	"github.com/mdebot/mdebot/metrics"
)

func BenchmarkObserveCommandAndMDECall(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	for b.Loop() {
		m.Command("isolate", "accepted")
		m.MDECall(defender.FamilyIsolate, http.MethodPost, http.StatusCreated, 30*time.Millisecond)
	}
}

func BenchmarkScrape(b *testing.B) {
	m := metrics.New()
	for _, f := range defender.Families() {
		for _, s := range []int{200, 201, 404, 429} {
			m.MDECall(f, http.MethodGet, s, time.Millisecond)
		}
	}
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	}
}

package bot

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/bot/blocks"
)

func TestHomeViewersNotSeenForADayAreForgotten(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var h homes
	h.set("U0OLD", blocks.HomeFilter{}, now)
	h.set("U0NEW", blocks.HomeFilter{}, now.Add(2*time.Hour))
	later := now.Add(homeViewerTTL + time.Hour)
	if _, ok := h.get("U0OLD", later); ok {
		t.Error("a viewer not seen for over a day is still remembered")
	}
	if _, ok := h.get("U0NEW", later); !ok {
		t.Error("a viewer seen within the day was forgotten")
	}
	if diff := cmp.Diff([]string{"U0NEW"}, h.users(later)); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if n := len(h.m); n != 1 {
		t.Errorf("%d viewers kept, want 1", n)
	}
}

func TestHomeViewersAreBoundedForgettingTheLeastRecentlySeen(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var h homes
	for i := range maxHomeViewers + 10 {
		h.set("U"+strconv.Itoa(i), blocks.HomeFilter{}, now.Add(time.Duration(i)*time.Second))
	}
	at := now.Add(time.Duration(maxHomeViewers+10) * time.Second)
	users := h.users(at)
	if len(users) != maxHomeViewers {
		t.Errorf("%d viewers kept, want %d", len(users), maxHomeViewers)
	}
	if slices.Contains(users, "U0") || slices.Contains(users, "U9") {
		t.Error("the least recently seen viewers were kept")
	}
	if !slices.Contains(users, "U"+strconv.Itoa(maxHomeViewers+9)) {
		t.Error("the most recent viewer was dropped")
	}
}

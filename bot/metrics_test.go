package bot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// commandObserver is an Observer that hands each command to a channel.
type commandObserver struct {
	commands chan [2]string
	sockets  chan bool
}

func newCommandObserver() *commandObserver {
	return &commandObserver{commands: make(chan [2]string, 16), sockets: make(chan bool, 16)}
}

func (o *commandObserver) Envelope(string, time.Duration) {}
func (o *commandObserver) Command(verb, outcome string)   { o.commands <- [2]string{verb, outcome} }
func (o *commandObserver) SocketConnected(up, _ bool)     { o.sockets <- up }
func (o *commandObserver) Shed(string, string)            {}

func TestEachCommandIsObservedWithItsVerbAndOutcome(t *testing.T) {
	obs := newCommandObserver()
	h := newHarness(t, func(c *harnessConfig) { c.observer = obs })
	for _, tc := range []struct {
		text string
		want [2]string
	}{
		{"help", [2]string{"help", CommandAnswered}},
		{"isolate", [2]string{"isolate", CommandInvalid}},
		{"frobnicate ws-0042", [2]string{"unknown", CommandInvalid}},
		{"isolate ws-9999 no such machine", [2]string{"isolate", CommandRejected}},
		{"isolate ws-0042 ransomware note", [2]string{"isolate", CommandAccepted}},
	} {
		h.slash(responder, socChannel, tc.text)
		select {
		case got := <-obs.commands:
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("/mde %s observed (-want +got):\n%s", tc.text, diff)
			}
		case <-h.ctx().Done():
			t.Fatalf("/mde %s was never observed", tc.text)
		}
	}
}

func TestTheSocketIsObservedUpWithoutADownWhileFirstConnecting(t *testing.T) {
	obs := newCommandObserver()
	h := newHarness(t, func(c *harnessConfig) { c.observer = obs })
	select {
	case up := <-obs.sockets:
		if !up {
			t.Errorf("the first socket state observed is down: connecting at the start is not a loss")
		}
	case <-h.ctx().Done():
		t.Fatal("the socket was never observed up")
	}
}

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mdebot/mdebot"
)

func TestManifestPrintsTheEmbeddedFile(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"manifest"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !bytes.Equal(out.Bytes(), mdebot.Manifest) {
		t.Fatal("mdebot manifest printed something other than manifest.yaml")
	}
}

func TestUnknownCommandExitsWithUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Fatalf("stderr = %q", errOut.String())
	}
}

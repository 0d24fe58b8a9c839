package playground_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mdebot/mdebot/playground"
)

// Starting the playground and handing its environment and configuration to a
// bot that runs in a child process.
func ExampleStart() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mdebot-playground-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := playground.Start(ctx, playground.Options{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	cfg := filepath.Join(dir, "mdebot.yaml")
	if err := os.WriteFile(cfg, p.ConfigYAML(), 0o600); err != nil {
		log.Fatal(err)
	}
	env := os.Environ()
	for k, v := range p.Env() {
		env = append(env, k+"="+v)
	}
	// exec.Command("mdebot", "serve", "--config", cfg) with cmd.Env = env …
	fmt.Println(len(p.Env()), "variables; SSL_CERT_FILE in the data directory:", filepath.Dir(p.Env()["SSL_CERT_FILE"]) == dir)
	// Output: 9 variables; SSL_CERT_FILE in the data directory: true
}

// Package deploy holds mdebot's deployment files, not code: a Dockerfile
// (built from the repository root with -f deploy/Dockerfile), a hardened
// systemd unit with its environment file example, and a kustomize example
// for Kubernetes. docs/deployment.md explains them.
//
// Its tests read those files and check what must stay true as mdebot
// changes: one replica with the Recreate strategy (bbolt has one writer),
// probes on the admin port that the configuration opens, a stop timeout
// longer than mdebot's graceful stop, every environment variable named one
// that package config reads, and every example configuration one that
// config.Parse accepts.
package deploy

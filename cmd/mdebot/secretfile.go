package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// The shortest secret a secret file may hold, and the longest file.
const (
	minSecretFileLen = 32
	maxSecretFileLen = 4096
)

// errSecretFileMode is returned by readSecretFile for a file others may read.
var errSecretFileMode = errors.New("readable by its group or others")

// readSecretFile reads the secret in the file at path (the backup token,
// the audit key): the file must be a regular file that neither its group
// nor others may read or write (mode 0600 or 0400), holding at least
// minSecretFileLen bytes once surrounding white space is trimmed. Errors
// name the file, never its contents.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s is %w (mode %04o): chmod 600 it", path, errSecretFileMode, perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileLen+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxSecretFileLen {
		return nil, fmt.Errorf("%s is longer than %d bytes: it must hold the secret only", path, maxSecretFileLen)
	}
	secret := bytes.TrimSpace(b)
	if len(secret) < minSecretFileLen {
		return nil, fmt.Errorf("%s holds %d bytes, fewer than %d: write a random secret to it (openssl rand -hex 32)", path, len(secret), minSecretFileLen)
	}
	return secret, nil
}

package config

import _ "embed"

// Example is a complete, commented configuration file with every key at
// its default (or a typical value), as the README shows it. It parses.
//
//go:embed example.yaml
var Example string

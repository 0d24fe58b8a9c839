package mde

import "testing"

func TestParseMachineID(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"a lowercase id is accepted", "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", true},
		{"an uppercase id is lowercased", "1E5BC9D7E413DDD7902C2932E418702B84D0CC07", "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", true},
		{"a short id is refused", "1e5bc9d7", "", false},
		{"a 32-character id as in Microsoft's collect example is accepted", "7F0C4BB59BDB43A5B2C0B6BB6EDEDD12", "7f0c4bb59bdb43a5b2c0b6bb6ededd12", true},
		{"a 31-character id is refused", "7f0c4bb59bdb43a5b2c0b6bb6ededd1", "", false},
		{"a 41-character id is refused", "1e5bc9d7e413ddd7902c2932e418702b84d0cc07a", "", false},
		{"a non-hex id is refused", "ze5bc9d7e413ddd7902c2932e418702b84d0cc07", "", false},
		{"an id with a quote is refused", "1e5bc9d7e413ddd7902c2932e418702b84d0cc0'", "", false},
		{"an empty id is refused", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMachineID(tt.in)
			if (err == nil) != tt.ok || string(got) != tt.want {
				t.Fatalf("ParseMachineID(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseFileHash(t *testing.T) {
	sha1 := "3395856ce81f2b7382dee72602f798b642f14140"
	sha256 := "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
	tests := []struct {
		name, in string
		want     HashType
		ok       bool
	}{
		{"a SHA-1 is recognised", sha1, HashSHA1, true},
		{"a SHA-256 is recognised", sha256, HashSHA256, true},
		{"an MD5 is refused", "44d88612fea8a8f36de82e1278abb02f", "", false},
		{"text is refused", "not-a-hash", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := ParseFileHash(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseFileHash(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestStatusTerminal(t *testing.T) {
	for s, want := range map[ActionStatus]bool{
		StatusPending: false, StatusInProgress: false, "SomethingNew": false,
		StatusSucceeded: true, StatusFailed: true, StatusTimeOut: true, StatusCancelled: true,
	} {
		if got := s.Terminal(); got != want {
			t.Errorf("%s.Terminal() = %v, want %v", s, got, want)
		}
	}
}

func TestIsActionID(t *testing.T) {
	for s, want := range map[string]bool{
		"7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3d4e": true,
		"7F3C2A10-9B1E-4C55-A0D2-6E8F1B2C3D4E": true,
		"7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3d4":  false,
		"7f3c2a10x9b1e-4c55-a0d2-6e8f1b2c3d4e": false,
		"7f3c2a10-9b1e-4c55-a0d2-6e8f1b2c3dze": false,
		"":                                     false,
	} {
		if got := IsActionID(s); got != want {
			t.Errorf("IsActionID(%q) = %v, want %v", s, got, want)
		}
	}
}

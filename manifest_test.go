package mdebot

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestManifestDeclaresWhatTheBotNeeds(t *testing.T) {
	var m struct {
		Features struct {
			AppHome struct {
				HomeTabEnabled bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command      string `yaml:"command"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				IsEnabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(Manifest, &m); err != nil {
		t.Fatalf("manifest.yaml does not parse: %v", err)
	}
	if !m.Settings.SocketMode {
		t.Error("Socket Mode is off; mdebot has no public HTTP endpoint")
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("interactivity is off; Approve and Deny buttons would not reach the bot")
	}
	if !m.Features.AppHome.HomeTabEnabled || !slices.Contains(m.Settings.Events.BotEvents, "app_home_opened") {
		t.Error("the App Home tab or its app_home_opened event is missing")
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/mde" || !m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("want exactly the /mde slash command with should_escape, got %+v", m.Features.SlashCommands)
	}
	for _, scope := range []string{"commands", "chat:write", "users:read", "usergroups:read", "im:write", "files:write"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, scope) {
			t.Errorf("bot scope %q is missing", scope)
		}
	}
}

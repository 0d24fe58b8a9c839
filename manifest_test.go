package mdebot

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestManifestDeclaresWhatTheBotNeeds(t *testing.T) {
	var m struct {
		Features struct {
			AppHome struct {
				HomeTabEnabled      bool `yaml:"home_tab_enabled"`
				MessagesTabEnabled  bool `yaml:"messages_tab_enabled"`
				MessagesTabReadOnly bool `yaml:"messages_tab_read_only_enabled"`
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
	if !m.Features.AppHome.MessagesTabEnabled {
		t.Error("the App Home Messages tab is off; people could not see mdebot's direct messages (notices, /mde export's file)")
	}
	if !m.Features.AppHome.MessagesTabReadOnly {
		t.Error("the App Home Messages tab takes messages; mdebot reads none, so it should be read-only")
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

func TestSlackAppDocExplainsEveryScopeOfTheManifest(t *testing.T) {
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(Manifest, &m); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("docs/slack-app.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for l := range strings.Lines(string(doc)) {
		if strings.HasPrefix(l, "| bot scope") {
			rows = append(rows, l)
		}
	}
	for _, scope := range m.OAuth.Scopes.Bot {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(r, "`"+scope+"`") }) {
			t.Errorf("docs/slack-app.md has no \"| bot scope\" row explaining %s", scope)
		}
	}
}

package blocks

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdebot/mdebot/approvals"
	"github.com/mdebot/mdebot/mde"
	"github.com/slack-go/slack"
)

var renderUpdate = flag.Bool("update", false, "rewrite the golden files in testdata")

// Fixed times: goldens never depend on the clock.
var (
	cardNow     = time.Date(2026, 11, 23, 11, 15, 0, 0, time.UTC)
	cardCreated = cardNow.Add(-5 * time.Minute)
	cardExpires = cardNow.Add(30 * time.Minute)
)

const (
	cardRequester = "U01REQUEST"
	cardApprover  = "U02APPROVE"
	cardApprover2 = "U03SECOND"
	cardSASURL    = "https://userrequests-us.securitycenter.windows.com:443/safedownload/WDATP_Investigation_Package.zip?token=abc&sig=x%2By"
	cardPermalink = "https://example.slack.com/archives/C0CARDS/p1763896500000100"
)

// cardUsers are the Slack users the fixtures mention: the only <@…> a
// rendered message may contain.
// cardUsers are the users and user groups the cards may mention.
var cardUsers = []string{cardRequester, cardApprover, cardApprover2, cardRuleGroup, cardRuleApprover}

// The approvers policy rules name in the cards.
const (
	cardRuleGroup    = "S0IRLEADS1"
	cardRuleApprover = "U0CISO0001"
)

func cardMachine() MachineView {
	return MachineView{
		ID:        "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
		Name:      "ws-fin-01.contoso.local",
		OS:        "Windows11",
		OSVersion: "24H2",
		Health:    "Active",
		LastSeen:  cardNow.Add(-3 * time.Minute),
		Risk:      "Medium",
		Exposure:  "Low",
		IP:        "10.1.2.3",
		Tags:      []string{"finance", "vip"},
	}
}

func cardRequest() RequestView {
	return RequestView{
		ID:                "req-7f3a",
		Kind:              approvals.KindIsolate,
		Params:            ParamsView{IsolationType: mde.IsolationFull},
		Machine:           cardMachine(),
		Requester:         cardRequester,
		Channel:           "C0CARDS",
		Reason:            "Alert 4242: ransomware note found on the desktop",
		Created:           cardCreated,
		Expires:           cardExpires,
		RequiredApprovals: 1,
		State:             approvals.StateAwaiting,
		Fingerprint:       "9c1185a5c5e9fc54",
	}
}

// cardHostile is user text built to break out: mentions, entities, formatting
// and far too much of it.
var cardHostile = strings.Repeat("<!channel> <@U123> <https://evil.example|click> & *bold* _it_ ~s~ `tick` 👍\n", 150)

func cardHostileMachine(i int) MachineView {
	tags := make([]string, 200)
	for j := range tags {
		tags[j] = "<!here>*tag*_" + strings.Repeat("x", j)
	}
	return MachineView{
		ID:        cardHostile,
		Name:      "*evil*_name_~x~ <!here> & `tick`" + strings.Repeat("n", 300) + string(rune('a'+i%26)),
		OS:        cardHostile[:500],
		OSVersion: cardHostile[:300],
		Health:    cardHostile,
		LastSeen:  cardNow,
		Risk:      cardHostile,
		Exposure:  cardHostile,
		IP:        cardHostile[:200],
		Tags:      tags,
	}
}

func cardHostileRequest() RequestView {
	r := cardRequest()
	r.ID, r.Fingerprint = cardHostile, cardHostile
	r.Machine = cardHostileMachine(0)
	r.Reason = cardHostile
	r.Params.FileHash = cardHostile[:100]
	r.Params.HashType = mde.HashType(cardHostile[:50])
	r.StatusDetail = cardHostile
	r.ActionID = cardHostile[:300]
	r.MDEStatus = mde.ActionStatus(cardHostile[:100])
	r.ClosedBy = "<!channel>"
	r.Duration = 130 * time.Second
	for i := range 30 {
		r.Decisions = append(r.Decisions, DecisionView{UserID: cardApprover, Approved: i%2 == 0, Reason: cardHostile, At: cardNow})
	}
	r.RequiredApprovals = 40
	return r
}

// goldenName is the golden file of the running (sub)test.
func goldenName(t *testing.T) string {
	return filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "__")+".golden.json")
}

// checkGolden compares v's indented JSON with the test's golden file, or
// rewrites the file under -update.
func checkGolden(t *testing.T, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <@U…> and &amp; readable in the goldens
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	// slack-go's own MarshalJSON methods escape HTML characters anyway;
	// undo it so the goldens read as Slack text.
	got := []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String()))
	path := goldenName(t)
	if *renderUpdate {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing (run go test ./bot/blocks -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// goldenMessage is how a Message is stored in a golden file.
type goldenMessage struct {
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
}

func checkGoldenMessage(t *testing.T, m Message) {
	t.Helper()
	checkLimits(t, m, cardUsers, []string{cardSASURL, cardPermalink})
	checkGolden(t, goldenMessage{Text: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}})
}

// checkLimits fails t when m breaks one of Slack's limits, or when its
// mrkdwn holds a <…> token mdebot did not build: a mention of a user not
// in users, a link to a URL not in urls, or any <!…> other than a date.
func checkLimits(t *testing.T, m Message, users, urls []string) {
	t.Helper()
	raw, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	c := &limitChecker{t: t, users: users, urls: urls, ids: map[string]bool{}}
	c.mrkdwn("text", m.Text, slackMaxFallbackText)
	c.blocks(blocks, MaxBlocksPerMessage)
}

// checkViewLimits is checkLimits for a modal.
func checkViewLimits(t *testing.T, v slack.ModalViewRequest, users []string) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var view struct {
		Title, Submit, Close map[string]any
		CallbackID           string           `json:"callback_id"`
		PrivateMetadata      string           `json:"private_metadata"`
		Blocks               []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &view); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	c := &limitChecker{t: t, users: users, ids: map[string]bool{}}
	for name, obj := range map[string]map[string]any{"title": view.Title, "submit": view.Submit, "close": view.Close} {
		c.text(name, obj, slackMaxModalTitle)
	}
	c.id("callback_id", view.CallbackID)
	if textLen(view.PrivateMetadata) > slackMaxPrivateMetadata {
		t.Errorf("private_metadata has %d characters", textLen(view.PrivateMetadata))
	}
	c.blocks(view.Blocks, MaxBlocksPerView)
}

type limitChecker struct {
	t     *testing.T
	users []string
	urls  []string
	ids   map[string]bool // block ids seen
}

func (c *limitChecker) blocks(blocks []map[string]any, max int) {
	if len(blocks) > max {
		c.t.Errorf("%d blocks, more than %d", len(blocks), max)
	}
	for i, b := range blocks {
		where := "block " + b["type"].(string)
		if id, ok := b["block_id"].(string); ok {
			c.id(where+" block_id", id)
			if c.ids[id] {
				c.t.Errorf("block_id %q used twice", id)
			}
			c.ids[id] = true
		}
		switch b["type"] {
		case "header":
			c.text(where, b["text"].(map[string]any), MaxHeaderText)
			if b["text"].(map[string]any)["type"] != "plain_text" {
				c.t.Errorf("block %d: a header holds plain_text only", i)
			}
		case "section":
			if txt, ok := b["text"].(map[string]any); ok {
				c.text(where, txt, MaxSectionText)
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > slackMaxFields {
				c.t.Errorf("block %d has %d fields", i, len(fields))
			}
			for _, f := range fields {
				c.text(where+" field", f.(map[string]any), slackMaxFieldText)
			}
			if acc, ok := b["accessory"].(map[string]any); ok {
				c.element(acc)
			}
		case "context":
			els := b["elements"].([]any)
			if len(els) > MaxContextElements {
				c.t.Errorf("block %d has %d context elements", i, len(els))
			}
			for _, e := range els {
				c.text(where, e.(map[string]any), slackMaxContextText)
			}
		case "actions":
			els := b["elements"].([]any)
			if len(els) > slackMaxActionElements {
				c.t.Errorf("block %d has %d elements", i, len(els))
			}
			for _, e := range els {
				c.element(e.(map[string]any))
			}
		case "input":
			c.text(where+" label", b["label"].(map[string]any), slackMaxInputLabel)
			if h, ok := b["hint"].(map[string]any); ok {
				c.text(where+" hint", h, slackMaxInputLabel)
			}
			c.element(b["element"].(map[string]any))
		case "divider":
		default:
			c.t.Errorf("block %d: unexpected type %v", i, b["type"])
		}
	}
}

func (c *limitChecker) element(e map[string]any) {
	c.id("action_id", e["action_id"].(string))
	switch e["type"] {
	case "button":
		c.text("button", e["text"].(map[string]any), MaxButtonText)
		if v, _ := e["value"].(string); textLen(v) > slackMaxButtonValue {
			c.t.Errorf("button value has %d characters", textLen(v))
		}
		if cf, ok := e["confirm"].(map[string]any); ok {
			c.text("confirm title", cf["title"].(map[string]any), slackMaxConfirmTitle)
			c.text("confirm text", cf["text"].(map[string]any), slackMaxConfirmText)
			c.text("confirm confirm", cf["confirm"].(map[string]any), slackMaxConfirmButton)
			c.text("confirm deny", cf["deny"].(map[string]any), slackMaxConfirmButton)
		}
	case "plain_text_input":
		if p, ok := e["placeholder"].(map[string]any); ok {
			c.text("placeholder", p, 150)
		}
		if n, _ := e["max_length"].(float64); n > slackMaxInputValue {
			c.t.Errorf("max_length %v", n)
		}
	default:
		c.t.Errorf("unexpected element %v", e["type"])
	}
}

func (c *limitChecker) id(where, id string) {
	if id == "" || len(id) > slackMaxID {
		c.t.Errorf("%s %q: empty or longer than %d", where, id, slackMaxID)
	}
}

func (c *limitChecker) text(where string, obj map[string]any, max int) {
	s, _ := obj["text"].(string)
	if s == "" {
		c.t.Errorf("%s: empty text", where)
	}
	if obj["type"] == "mrkdwn" {
		if obj["verbatim"] != true {
			c.t.Errorf("%s: mrkdwn that is not verbatim lets Slack parse bare @here and links", where)
		}
		c.mrkdwn(where, s, max)
		return
	}
	if textLen(s) > max {
		c.t.Errorf("%s: %d characters, more than %d", where, textLen(s), max)
	}
}

var limitTokenRE = regexp.MustCompile(`<[^<>]*>`)

func (c *limitChecker) mrkdwn(where, s string, max int) {
	c.t.Helper()
	if textLen(s) > max {
		c.t.Errorf("%s: %d characters, more than %d", where, textLen(s), max)
	}
	for _, tok := range limitTokenRE.FindAllString(s, -1) {
		body := tok[1 : len(tok)-1]
		switch {
		case strings.HasPrefix(body, "@"):
			if !limitContains(c.users, body[1:]) {
				c.t.Errorf("%s: mention %q that mdebot did not build", where, tok)
			}
		case strings.HasPrefix(body, "!date^"):
		case strings.HasPrefix(body, "#"):
			if !limitContains(c.users, body[1:]) {
				c.t.Errorf("%s: channel mention %q that mdebot did not build", where, tok)
			}
		case strings.HasPrefix(body, "!subteam^"):
			if !limitContains(c.users, body[len("!subteam^"):]) {
				c.t.Errorf("%s: group mention %q that mdebot did not build", where, tok)
			}
		case strings.HasPrefix(body, "https://"):
			u, _, _ := strings.Cut(body, "|")
			if !limitContains(c.urls, u) {
				c.t.Errorf("%s: link %q that mdebot did not build", where, tok)
			}
		default:
			c.t.Errorf("%s: token %q that mdebot did not build", where, tok)
		}
	}
	rest := limitTokenRE.ReplaceAllString(s, "")
	if strings.ContainsAny(rest, "<>") {
		c.t.Errorf("%s: unescaped < or > in %q", where, TruncateText(rest, 200))
	}
	for _, a := range limitAmpRE.FindAllString(rest, -1) {
		if a != "&amp;" && a != "&lt;" && a != "&gt;" {
			c.t.Errorf("%s: stray %q", where, a)
		}
	}
}

var limitAmpRE = regexp.MustCompile(`&[a-z]*;?`)

func limitContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTextHelpersKeepWithinLimitsWithoutSplittingEntities(t *testing.T) {
	for _, max := range []int{1, 2, 5, 10, 99, 100, 3000} {
		got := EscapeTruncate(cardHostile, max)
		if textLen(got) > max {
			t.Errorf("EscapeTruncate(max %d) has %d characters", max, textLen(got))
		}
		if i := strings.LastIndexByte(got, '&'); i >= 0 && !strings.Contains(got[i:], ";") {
			t.Errorf("EscapeTruncate(max %d) ends in half an entity: %q", max, got)
		}
		clamped := renderClamp("<@U01REQUEST> &amp; <!date^1^{time}|x> "+EscapeText(cardHostile), max)
		if textLen(clamped) > max {
			t.Errorf("renderClamp(max %d) has %d characters", max, textLen(clamped))
		}
		if rest := limitTokenRE.ReplaceAllString(clamped, ""); strings.ContainsAny(rest, "<>") {
			t.Errorf("renderClamp(max %d) left half a token: %q", max, clamped)
		}
	}
}

func TestEscapeNeutralisesMentionsAndLinks(t *testing.T) {
	got := EscapeText("<!channel> <@U123> a & b <https://x|y>")
	want := "&lt;!channel&gt; &lt;@U123&gt; a &amp; b &lt;https://x|y&gt;"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

func TestMentionOfAnImplausibleUserIDIsShownAsCode(t *testing.T) {
	for in, want := range map[string]string{
		"U01REQUEST": "<@U01REQUEST>",
		"<!channel>": "`&lt;!channel&gt;`",
		"U1> <!here": "`U1&gt; &lt;!here`",
		"":           "someone",
	} {
		if got := RenderMention(in); got != want {
			t.Errorf("RenderMention(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodeSpanKeepsFormattingCharactersLiteral(t *testing.T) {
	got := RenderCode("*evil*_x_`y`\nz", 100)
	if want := "`*evil*_x_ˋyˋ z`"; got != want {
		t.Errorf("RenderCode = %q, want %q", got, want)
	}
}

func TestSafeURLAcceptsOnlyHTTPSThatCannotBreakOutOfALink(t *testing.T) {
	for u, want := range map[string]bool{
		cardSASURL:                           true,
		"http://example.com/x":               false,
		"https://example.com/x|evil":         false,
		"https://example.com/x>evil":         false,
		"https://example.com/a b":            false,
		"https://user:pw@example.com/":       false,
		"javascript:alert(1)":                false,
		"https:///nohost":                    false,
		"":                                   false,
		"https://example.com/" + cardHostile: false,
	} {
		if got := renderSafeURL(u); got != want {
			t.Errorf("renderSafeURL(%.60q) = %v, want %v", u, got, want)
		}
	}
}

func TestApproveValueRoundTrips(t *testing.T) {
	for _, tc := range []struct{ id, fp string }{{"req-7f3a", "9c1185a5"}, {"a:b", "ff"}} {
		id, fp, ok := ParseApproveValue(approveValue(tc.id, tc.fp))
		if !ok || id != tc.id || fp != tc.fp {
			t.Errorf("ParseApproveValue(approveValue(%q, %q)) = %q, %q, %v", tc.id, tc.fp, id, fp, ok)
		}
	}
	for _, bad := range []string{"", "req", ":fp", "req:"} {
		if _, _, ok := ParseApproveValue(bad); ok {
			t.Errorf("ParseApproveValue(%q) accepted", bad)
		}
	}
}

func TestDurationsAndRelativeTimesReadNaturally(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second:               "45s",
		130 * time.Second:              "2m 10s",
		time.Hour + 5*time.Minute + 20: "1h 5m",
	} {
		if got := renderDuration(d); got != want {
			t.Errorf("renderDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		30 * time.Second:                "in less than a minute",
		30 * time.Minute:                "in 30 min",
		2 * time.Hour:                   "in 2 h",
		2*time.Hour + 5*time.Minute + 1: "in 2 h 5 min",
	} {
		if got := renderIn(cardNow.Add(d), cardNow); got != want {
			t.Errorf("renderIn(+%v) = %q, want %q", d, got, want)
		}
	}
}

func FuzzEscapeTruncNeverExceedsNorLeaksMarkup(f *testing.F) {
	for _, s := range []string{"", "<!channel>", "<@U123> & *x*", cardHostile[:300], "\xff\xfe<", "👍👍👍&&&"} {
		f.Add(s, 10)
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 4000 {
			return
		}
		for name, got := range map[string]string{
			"EscapeTruncate": EscapeTruncate(s, max),
			"renderClamp":    renderClamp(EscapeText(s), max),
		} {
			if textLen(got) > max {
				t.Errorf("%s(%q, %d) has %d characters", name, s, max, textLen(got))
			}
			if strings.ContainsAny(got, "<>") {
				t.Errorf("%s(%q, %d) = %q holds < or >", name, s, max, got)
			}
			for _, a := range limitAmpRE.FindAllString(got, -1) {
				if a != "&amp;" && a != "&lt;" && a != "&gt;" {
					t.Errorf("%s(%q, %d) = %q holds a stray %q", name, s, max, got, a)
				}
			}
		}
	})
}

package playground

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/mdebot/mdebot/slacktest"
)

// get fetches path from the page and returns the answer and its body.
func get(t *testing.T, p *Playground, path string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(strings.TrimSuffix(p.URL(), "/") + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestTheStateHoldsTheUsersDMWithTheBotAndItsFilesDownload(t *testing.T) {
	p := startPlayground(t)
	ctx := testContext(t)
	api := botClient(p)
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{ManagerID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText(":white_check_mark: Your request was approved", false)); err != nil {
		t.Fatal(err)
	}
	const csv = "id,kind\nR-1,isolate\n"
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Channel: ch.ID, Filename: "mdebot-export.csv",
		Reader: strings.NewReader(csv), FileSize: len(csv), InitialComment: "Your export"}); err != nil {
		t.Fatal(err)
	}

	st := getState(t, p, ManagerID)
	if st.DM.ID != slacktest.DMChannelID(ManagerID) || len(st.DM.Messages) != 2 {
		t.Fatalf("Morgan's DM = %+v", st.DM)
	}
	files := st.DM.Messages[1].Files
	if len(files) != 1 || files[0].Name != "mdebot-export.csv" || files[0].Size != len(csv) {
		t.Fatalf("the export message's files = %+v", files)
	}
	if other := getState(t, p, ResponderID); len(other.DM.Messages) != 0 {
		t.Errorf("Riley sees %d messages of Morgan's DM", len(other.DM.Messages))
	}

	res, body := get(t, p, files[0].URL)
	if res.StatusCode != http.StatusOK || string(body) != csv {
		t.Fatalf("GET %s: %s %q", files[0].URL, res.Status, body)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename=mdebot-export.csv` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if res, _ := get(t, p, "/api/file?user="+ResponderID+"&id="+files[0].ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("Riley downloading Morgan's file: %s, want 404", res.Status)
	}
	if res, _ := get(t, p, "/api/file?user=U0NOBODY&id="+files[0].ID); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown user downloading: %s, want 400", res.Status)
	}
}

func TestAViewsButtonsAndSelectsReachTheBot(t *testing.T) {
	p := startPlayground(t)
	bot := connectBot(t, p, nil)
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Kind", false, false), "mde_home_kind",
		slack.NewOptionBlockObject("all", slack.NewTextBlockObject(slack.PlainTextType, "All kinds", false, false), nil),
		slack.NewOptionBlockObject("isolate", slack.NewTextBlockObject(slack.PlainTextType, "Isolate", false, false), nil))
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewActionBlock("pending_0_actions", slack.NewButtonBlockElement("mde_approve.0", "R-1|fp", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))),
		slack.NewActionBlock("filters", sel),
	}}}
	view, err := botClient(p).PublishViewContext(testContext(t), slack.PublishViewContextRequest{UserID: Approver1ID, View: home})
	if err != nil {
		t.Fatal(err)
	}
	if status, res := post(t, p, "/api/viewclick", viewActionRequest{User: Approver1ID, ViewID: view.ID, ActionID: "mde_approve.0"}); status != http.StatusOK || !res.OK {
		t.Fatalf("POST /api/viewclick: %d %+v", status, res)
	}
	cb := nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.User.ID != Approver1ID || cb.View.ID != view.ID || cb.ActionCallback.BlockActions[0].Value != "R-1|fp" {
		t.Errorf("view click = user %s, view %s, actions %+v", cb.User.ID, cb.View.ID, cb.ActionCallback.BlockActions)
	}
	if status, res := post(t, p, "/api/select", viewActionRequest{User: Approver1ID, ViewID: view.ID, ActionID: "mde_home_kind", Value: "isolate"}); status != http.StatusOK || !res.OK {
		t.Fatalf("POST /api/select: %d %+v", status, res)
	}
	cb = nextEvent(t, bot, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if a := cb.ActionCallback.BlockActions[0]; a.ActionID != "mde_home_kind" || a.SelectedOption.Value != "isolate" {
		t.Errorf("selection = %+v", a)
	}
	for name, req := range map[string]viewActionRequest{
		"another user's view": {User: Approver2ID, ViewID: view.ID, ActionID: "mde_approve.0"},
		"no such option":      {User: Approver1ID, ViewID: view.ID, ActionID: "mde_home_kind", Value: "nope"},
		"no view":             {User: Approver1ID, ActionID: "mde_approve.0"},
	} {
		path := "/api/viewclick"
		if req.Value != "" {
			path = "/api/select"
		}
		if status, _ := post(t, p, path, req); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, status)
		}
	}
}

func TestACollectedPackageLinkLeadsToThePage(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	p, err := Start(t.Context(), Options{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Now: clock.Now, ActionTime: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	startAction(t, p.Tenant(), "ws-0042.contoso.local", "collectInvestigationPackage", `{"Comment":"triage"}`)
	id := p.Tenant().Actions()[0].ID
	if res, _ := get(t, p, packagePath(id)); res.StatusCode != http.StatusNotFound {
		t.Errorf("the package before the collection finished: %s, want 404", res.Status)
	}
	if st := getState(t, p, ResponderID); len(st.Links) != 0 {
		t.Errorf("links before the collection finished: %v", st.Links)
	}
	clock.Advance(time.Minute)
	st := getState(t, p, ResponderID)
	if got := st.Links[packageURI(id)]; got != packagePath(id) {
		t.Fatalf("links = %v, want %s → %s", st.Links, packageURI(id), packagePath(id))
	}
	res, body := get(t, p, packagePath(id))
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("GET %s: %s %s", packagePath(id), res.Status, res.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "README.txt" {
		t.Fatalf("the package is not the expected zip: %v", err)
	}
	if res, _ := get(t, p, "/package/00000000-0000-0000-0000-000000000000.zip"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown package: %s, want 404", res.Status)
	}
}

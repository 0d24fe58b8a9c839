package playground

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mdebot/mdebot/defender/defendertest"
)

// packageHost is the host of the simulated tenant's package links, like
// MDE's own: the bot shows only https links, so the page maps each one to
// its packagePath (State.Links).
const packageHost = "userrequests-us.securitycenter.windows.com"

// collectType is the tenant's type of a collect action.
const collectType = "CollectInvestigationPackage"

// packageURI is the download link the simulated tenant gives for the
// package of collect action id.
func packageURI(id string) string {
	return "https://" + packageHost + "/safedownload/" + id + "/WDATP_Investigation_Package.zip"
}

// packagePath is where the page serves the package of collect action id.
func packagePath(id string) string { return "/package/" + id + ".zip" }

// packageLinks maps the link of every collected package of the tenant to
// its packagePath.
func packageLinks(acts []defendertest.Action) map[string]string {
	links := map[string]string{}
	for _, a := range acts {
		if a.Type == collectType && a.Status == "Succeeded" {
			links[packageURI(a.ID)] = packagePath(a.ID)
		}
	}
	return links
}

// handlePackage answers GET /package/{file}, {file} being "<action id>.zip":
// a small zip standing for the investigation package of a collect action
// that succeeded, as an attachment.
func (p *Playground) handlePackage(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".zip")
	var act *defendertest.Action
	for _, a := range p.tenant.Actions() {
		if ok && strings.EqualFold(a.ID, id) && a.Type == collectType && a.Status == "Succeeded" {
			act = &a
			break
		}
	}
	if act == nil {
		http.Error(w, "no collected package with this id", http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "README.txt", Method: zip.Deflate, Modified: act.Updated})
	if err == nil {
		_, err = fmt.Fprintf(f, "Simulated investigation package (mdebot playground)\r\n\r\nMachine: %s\r\nAction: %s\r\nRequested by: %s\r\nComment: %s\r\nCollected: %s\r\n\r\nA real package holds the machine's autoruns, processes, network connections, event logs and more.\r\n",
			act.ComputerDNSName, act.ID, act.Requestor, act.RequestorComment, act.Updated.UTC().Format(time.RFC3339))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		http.Error(w, "building the package failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="WDATP_Investigation_Package.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

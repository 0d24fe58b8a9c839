package defendertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/mdebot/mdebot/mde"
)

var actionSchema = &entitySchema{
	typeName: "microsoft.windowsDefenderATP.api.PublicMachineAction",
	filterable: map[string]fieldKind{
		"id": kString, "status": kString, "machineId": kString, "type": kString,
		"requestor": kString, "creationDateTimeUtc": kDate,
	},
	properties: jsonNames(actionJSON{}),
}

// actionView adapts an action snapshot to the $filter evaluator.
type actionView struct{ a actionRecord }

func (v actionView) field(name string) any {
	switch name {
	case "id":
		return v.a.ID
	case "status":
		return v.a.Status
	case "machineId":
		return v.a.MachineID
	case "type":
		return v.a.Type
	case "requestor":
		return v.a.Requestor
	case "creationDateTimeUtc":
		return v.a.Created
	}
	return nil
}

// handleActionsList serves GET /api/machineactions with OData options.
func (s *Server) handleActionsList(rep *reply, req *request) {
	if f := req.r.URL.Query().Get("$filter"); s.cfg.maxFilter > 0 && len(f) > s.cfg.maxFilter {
		rep.writeODataError(fmt.Sprintf("The $filter of %d characters exceeds the limit of %d.", len(f), s.cfg.maxFilter))
		return
	}
	q, err := parseODataQuery(req.r.URL.RawQuery, actionSchema)
	if err != nil {
		rep.writeODataError(err.Error())
		return
	}
	s.mu.Lock()
	s.advanceAllLocked()
	views := make([]actionView, len(s.actions))
	for i, a := range s.actions {
		views[i] = actionView{*a}
	}
	s.mu.Unlock()
	writeList(s, rep, req, q, views, s.actionContext(false), func(v actionView) actionJSON { return v.a.toJSON("") })
}

// actionForID validates the GUID key and finds the action (advanced to
// now); nil means the reply is written. s.mu must be held.
func (s *Server) actionForIDLocked(rep *reply, id string) *actionRecord {
	if !mde.IsActionID(id) {
		rep.writeErrorf(http.StatusBadRequest, "BadRequest", "The key value (%s) from request is not valid. The key value should be format of type 'Edm.Guid'.", id)
		return nil
	}
	a := s.actionByID[normalizeGUID(id)]
	if a == nil {
		rep.writeErrorf(http.StatusNotFound, "ResourceNotFound", "Machine action %s was not found", id)
		return nil
	}
	if s.advanceLocked(a, s.now()) {
		s.notifyLocked()
	}
	return a
}

// handleActionGet serves GET /api/machineactions/{id}.
func (s *Server) handleActionGet(rep *reply, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actionForIDLocked(rep, req.m.id)
	if a == nil {
		return
	}
	if s.now().Sub(a.Created) < s.cfg.readLag {
		rep.writeErrorf(http.StatusNotFound, "ResourceNotFound", "Machine action %s was not found", req.m.id)
		return
	}
	rep.writeOData(http.StatusOK, a.toJSON(s.actionContext(true)))
}

// handleCancel serves POST /api/machineactions/{id}/cancel.
func (s *Server) handleCancel(rep *reply, req *request) {
	props, ok := decodeBody(rep, req)
	if !ok {
		return
	}
	comment := ""
	if raw, ok := props["Comment"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &comment); err != nil {
			invalidBody(rep)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actionForIDLocked(rep, req.m.id)
	if a == nil {
		return
	}
	if terminal(a.Status) {
		rep.writeErrorf(http.StatusBadRequest, "BadRequest", "Action %s is in a final state (%s) and cannot be cancelled.", a.ID, a.Status)
		return
	}
	now := s.now()
	a.Status, a.Updated, a.phaseStart = statusCancelled, now, now
	a.Cancelled = true
	a.CancellationRequestor = req.claims.requestor()
	a.CancellationComment = comment
	a.cancelTime = now
	s.notifyLocked()
	rep.writeOData(http.StatusOK, a.toJSON(s.actionContext(true)))
}

// handleGetPackageURI serves GET /api/machineactions/{id}/getPackageUri.
func (s *Server) handleGetPackageURI(rep *reply, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actionForIDLocked(rep, req.m.id)
	if a == nil {
		return
	}
	if a.Type != "CollectInvestigationPackage" {
		rep.writeError(http.StatusBadRequest, "InvalidInput", "Provided Guid is not a valid id for a CollectInvestigationPackage action")
		return
	}
	if a.Status != statusSucceeded {
		rep.writeErrorf(http.StatusNotFound, "ResourceNotFound", "Investigation package for action %s was not found", a.ID)
		return
	}
	uri, ok := s.packageURIs[a.ID]
	if !ok && s.cfg.packageURI != nil {
		uri, ok = s.cfg.packageURI(a.ID), true
	}
	if !ok {
		uri = "https://userrequests-us.securitycenter.windows.com:443/safedownload/WDATP_Investigation_Package.zip?token=" +
			strings.ReplaceAll(newGUID()+newGUID(), "-", "")
	}
	rep.writeOData(http.StatusOK, struct {
		Context string `json:"@odata.context"`
		Value   string `json:"value"`
	}{s.URL() + "/api/$metadata#Edm.String", `"` + uri + `"`})
}

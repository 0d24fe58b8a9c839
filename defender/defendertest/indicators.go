package defendertest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Indicator is a snapshot of a threat indicator held by the server.
type Indicator struct {
	ID                 string // numeric string, e.g. "1001"
	Value              string // indicatorValue
	Type               string // indicatorType: FileSha1, FileSha256, …
	Action             string // Block, Allowed, Audit, …
	Title              string
	Description        string
	Severity           string
	RecommendedActions string
	Application        string
	RbacGroupNames     []string
	GenerateAlert      bool
	Expiration         time.Time // zero: never
	Created            time.Time
	Updated            time.Time
	// CreatedBy is who created it: ClientID for the app's own indicators
	// (the default), or e.g. an analyst's UPN or another app's id. An app
	// with only Ti.ReadWrite sees and changes only the ones it created
	// (ClientID); Ti.ReadWrite.All sees them all.
	CreatedBy string
	// CreatedByDisplayName is the creator's display name (AppDisplayName
	// for the app's own; CreatedBy when empty).
	CreatedByDisplayName string
}

// createdByApp reports whether the app itself created in.
func (in *Indicator) createdByApp() bool { return in.CreatedBy == "" || in.CreatedBy == ClientID }

// visibleTo reports whether a token with these claims sees in: every
// indicator with Ti.ReadWrite.All, only the app's own with Ti.ReadWrite
// (permissions table of Microsoft's indicator pages).
func (in *Indicator) visibleTo(c *tokenClaims) bool {
	return in.createdByApp() || c != nil && slices.Contains(c.Roles, RoleTiReadWriteAll)
}

type indicatorRecord struct{ Indicator }

var (
	indicatorTypes   = []string{"FileSha1", "FileSha256", "FileMd5", "CertificateThumbprint", "IpAddress", "DomainName", "Url"}
	indicatorActions = []string{"Allowed", "Audit", "Block", "BlockAndRemediate", "Warn", "Alert", "AlertAndBlock"}
	severities       = []string{"Informational", "Low", "Medium", "High"}
	indicatorProps   = []string{"indicatorValue", "indicatorType", "action", "title", "description", "expirationTime",
		"severity", "recommendedActions", "rbacGroupNames", "application", "educateUrl", "generateAlert"}
	indicatorRequired = []string{"indicatorValue", "indicatorType", "action", "title", "description"}
)

type indicatorJSON struct {
	Context                 string   `json:"@odata.context,omitempty"`
	ID                      string   `json:"id"`
	IndicatorValue          string   `json:"indicatorValue"`
	IndicatorType           string   `json:"indicatorType"`
	Action                  string   `json:"action"`
	Application             *string  `json:"application"`
	Source                  string   `json:"source"`
	SourceType              string   `json:"sourceType"`
	CreatedBy               string   `json:"createdBy"`
	Severity                string   `json:"severity"`
	Title                   string   `json:"title"`
	Description             string   `json:"description"`
	RecommendedActions      *string  `json:"recommendedActions"`
	CreationTimeDateTimeUtc string   `json:"creationTimeDateTimeUtc"`
	ExpirationTime          *string  `json:"expirationTime"`
	LastUpdateTime          string   `json:"lastUpdateTime"`
	LastUpdatedBy           *string  `json:"lastUpdatedBy"`
	RbacGroupNames          []string `json:"rbacGroupNames"`
	RbacGroupIDs            []string `json:"rbacGroupIds"`
	GenerateAlert           bool     `json:"generateAlert"`
	CreatedBySource         string   `json:"createdBySource"`
	CreatedByDisplayName    string   `json:"createdByDisplayName"`
	ExternalID              *string  `json:"externalId"`
}

func (in *Indicator) toJSON(context string) indicatorJSON {
	j := indicatorJSON{
		Context: context, ID: in.ID, IndicatorValue: in.Value, IndicatorType: in.Type, Action: in.Action,
		Application: strPtr(in.Application), Source: AppDisplayName, SourceType: "AadApp", CreatedBy: ClientID,
		Severity: in.Severity, Title: in.Title, Description: in.Description,
		RecommendedActions: strPtr(in.RecommendedActions), CreationTimeDateTimeUtc: mdeTime(in.Created),
		ExpirationTime: mdeTimePtr(in.Expiration), LastUpdateTime: mdeTime(in.Updated),
		RbacGroupNames: append([]string{}, in.RbacGroupNames...), RbacGroupIDs: []string{},
		GenerateAlert: in.GenerateAlert, CreatedBySource: "PublicApi", CreatedByDisplayName: AppDisplayName,
	}
	if !in.createdByApp() {
		j.CreatedBy, j.Source, j.SourceType = in.CreatedBy, in.createdByName(), "User"
		j.CreatedBySource, j.CreatedByDisplayName = "Portal", in.createdByName()
	}
	if !in.Updated.Equal(in.Created) {
		by := j.CreatedBy
		j.LastUpdatedBy = &by
	}
	return j
}

func (in *Indicator) createdByName() string {
	switch {
	case in.createdByApp():
		return AppDisplayName
	case in.CreatedByDisplayName != "":
		return in.CreatedByDisplayName
	}
	return in.CreatedBy
}

var indicatorSchema = &entitySchema{
	typeName: "microsoft.windowsDefenderATP.api.PublicIndicator",
	filterable: map[string]fieldKind{
		"application": kString, "createdByDisplayName": kString, "expirationTime": kDate, "generateAlert": kBool,
		"title": kString, "rbacGroupNames": kStringList, "rbacGroupIds": kStringList, "indicatorValue": kString,
		"indicatorType": kString, "creationTimeDateTimeUtc": kDate, "createdBy": kString, "action": kString,
		"severity": kString,
	},
	properties: jsonNames(indicatorJSON{}),
}

type indicatorView struct{ in Indicator }

func (v indicatorView) field(name string) any {
	in := v.in
	switch name {
	case "application":
		return in.Application
	case "createdByDisplayName":
		return in.createdByName()
	case "expirationTime":
		if in.Expiration.IsZero() {
			return nil
		}
		return in.Expiration
	case "generateAlert":
		return in.GenerateAlert
	case "title":
		return in.Title
	case "rbacGroupNames":
		return in.RbacGroupNames
	case "rbacGroupIds":
		return []string{}
	case "indicatorValue":
		return in.Value
	case "indicatorType":
		return in.Type
	case "creationTimeDateTimeUtc":
		return in.Created
	case "createdBy":
		if in.createdByApp() {
			return ClientID
		}
		return in.CreatedBy
	case "action":
		return in.Action
	case "severity":
		return in.Severity
	}
	return nil
}

// Indicators returns the indicators the server holds, in creation order.
func (s *Server) Indicators() []Indicator {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Indicator, len(s.indicators))
	for i, in := range s.indicators {
		out[i] = in.Indicator
		out[i].RbacGroupNames = append([]string(nil), in.RbacGroupNames...)
	}
	return out
}

// AddIndicator stores in as if someone created it, e.g. a block made by
// an analyst in the portal (CreatedBy "analyst@contoso.com"). Empty ID,
// Created and Updated are filled in; the value is lowercased for hashes.
// It returns the stored indicator.
func (s *Server) AddIndicator(in Indicator) Indicator {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID == "" {
		s.nextIndID++
		in.ID = strconv.Itoa(s.nextIndID)
	}
	if in.Created.IsZero() {
		in.Created = s.now()
	}
	if in.Updated.IsZero() {
		in.Updated = in.Created
	}
	if strings.HasPrefix(in.Type, "File") {
		in.Value = strings.ToLower(in.Value)
	}
	in.RbacGroupNames = append([]string(nil), in.RbacGroupNames...)
	s.indicators = append(s.indicators, &indicatorRecord{in})
	s.notifyLocked()
	return in
}

func (s *Server) indicatorContext(entity bool) string {
	if entity {
		return s.URL() + "/api/$metadata#Indicators/$entity"
	}
	return s.URL() + "/api/$metadata#Indicators"
}

// validIndicatorValue checks a value against its indicatorType; it returns
// an error code and message, or "".
func validIndicatorValue(typ, v string) (string, string) {
	hexLen := map[string]int{"FileSha1": 40, "FileSha256": 64, "FileMd5": 32, "CertificateThumbprint": 40}
	if n, ok := hexLen[typ]; ok {
		if len(v) != n || !isHexString(v) {
			return "InvalidHashValue", "Hash " + v + " is invalid."
		}
		return "", ""
	}
	switch typ {
	case "IpAddress":
		if net.ParseIP(v) == nil {
			return "InvalidIpAddress", "IP address " + v + " is invalid."
		}
	case "DomainName":
		if v == "" || strings.ContainsAny(v, " /:@") || strings.HasPrefix(v, ".") || !strings.Contains(v, ".") {
			return "InvalidDomainName", "Domain name " + v + " is invalid."
		}
	case "Url":
		u, err := url.Parse(v)
		if err != nil || strings.ContainsAny(v, " ") || (u.Host == "" && u.Path == "") {
			return "InvalidUrl", "Url " + v + " is invalid."
		}
	}
	return "", ""
}

// handleIndicatorPost serves POST /api/indicators (create or update).
func (s *Server) handleIndicatorPost(rep *reply, req *request) {
	props, ok := decodeBody(rep, req)
	if !ok {
		return
	}
	for key := range props {
		for _, name := range indicatorProps {
			if key != name && strings.EqualFold(key, name) && !slices.Contains(indicatorRequired, name) {
				invalidBody(rep)
				return
			}
		}
	}
	str := map[string]string{}
	for _, name := range []string{"indicatorValue", "indicatorType", "action", "title", "description",
		"expirationTime", "severity", "recommendedActions", "application", "educateUrl"} {
		v, ok := stringProp(rep, props, name)
		if !ok {
			return
		}
		str[name] = v
	}
	for _, name := range indicatorRequired {
		if strings.TrimSpace(str[name]) == "" {
			missingParam(rep, name)
			return
		}
	}
	var groups []string
	if raw, ok := props["rbacGroupNames"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &groups) != nil {
			invalidBody(rep)
			return
		}
	}
	generate := false
	if raw, ok := props["generateAlert"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &generate) != nil {
			invalidBody(rep)
			return
		}
	}
	typ, action, sev := str["indicatorType"], str["action"], str["severity"]
	if !slices.Contains(indicatorTypes, typ) || !slices.Contains(indicatorActions, action) ||
		(sev != "" && !slices.Contains(severities, sev)) {
		invalidBody(rep)
		return
	}
	value := strings.TrimSpace(str["indicatorValue"])
	if code, msg := validIndicatorValue(typ, value); code != "" {
		rep.writeError(http.StatusBadRequest, code, msg)
		return
	}
	if strings.HasPrefix(typ, "File") || typ == "CertificateThumbprint" {
		value = strings.ToLower(value)
	}
	if action == "Audit" && !generate {
		rep.writeError(http.StatusBadRequest, "InvalidInput", "Invalid input generateAlert: it must be true for the Audit action.")
		return
	}
	now := s.now()
	var exp time.Time
	if e := str["expirationTime"]; e != "" {
		t, err := time.Parse(time.RFC3339Nano, e)
		if err != nil {
			invalidBody(rep)
			return
		}
		if !t.After(now) {
			rep.writeError(http.StatusBadRequest, "InvalidInput", "Invalid input expirationTime: it must be in the future.")
			return
		}
		exp = t
	}
	if sev == "" {
		sev = "Informational"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var rec *indicatorRecord
	for _, in := range s.indicators {
		if in.Type == typ && in.Value == value && in.visibleTo(req.claims) {
			rec = in
			break
		}
	}
	if rec == nil {
		s.nextIndID++
		rec = &indicatorRecord{Indicator{ID: strconv.Itoa(s.nextIndID), Value: value, Type: typ, Created: now, CreatedBy: ClientID}}
		s.indicators = append(s.indicators, rec)
	}
	rec.Action, rec.Title, rec.Description, rec.Severity = action, str["title"], str["description"], sev
	rec.RecommendedActions, rec.Application = str["recommendedActions"], str["application"]
	rec.RbacGroupNames, rec.GenerateAlert, rec.Expiration, rec.Updated = groups, generate, exp, now
	s.notifyLocked()
	rep.writeOData(http.StatusOK, rec.toJSON(s.indicatorContext(true)))
}

// handleIndicatorDelete serves DELETE /api/indicators/{id}.
func (s *Server) handleIndicatorDelete(rep *reply, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, in := range s.indicators {
		if in.ID == req.m.id && in.visibleTo(req.claims) {
			s.indicators = slices.Delete(s.indicators, i, i+1)
			s.notifyLocked()
			rep.status = http.StatusNoContent
			return
		}
	}
	rep.writeErrorf(http.StatusNotFound, "ResourceNotFound", "Indicator %s was not found", req.m.id)
}

// handleIndicatorsList serves GET /api/indicators with OData options.
func (s *Server) handleIndicatorsList(rep *reply, req *request) {
	q, err := parseODataQuery(req.r.URL.RawQuery, indicatorSchema)
	if err != nil {
		rep.writeODataError(err.Error())
		return
	}
	s.mu.Lock()
	views := make([]indicatorView, 0, len(s.indicators))
	for _, in := range s.indicators {
		if in.visibleTo(req.claims) {
			views = append(views, indicatorView{in.Indicator})
		}
	}
	s.mu.Unlock()
	writeList(s, rep, req, q, views, s.indicatorContext(false), func(v indicatorView) indicatorJSON { return v.in.toJSON("") })
}

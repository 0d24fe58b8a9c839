package defendertest

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// actionJSON is the MachineAction entity with the property order of real
// 201 answers.
type actionJSON struct {
	Context                 string        `json:"@odata.context,omitempty"`
	ID                      string        `json:"id"`
	Type                    string        `json:"type"`
	Title                   *string       `json:"title"`
	Requestor               string        `json:"requestor"`
	RequestorComment        string        `json:"requestorComment"`
	Status                  string        `json:"status"`
	MachineID               string        `json:"machineId"`
	ComputerDNSName         string        `json:"computerDnsName"`
	CreationDateTimeUtc     string        `json:"creationDateTimeUtc"`
	LastUpdateDateTimeUtc   string        `json:"lastUpdateDateTimeUtc"`
	CancellationRequestor   *string       `json:"cancellationRequestor"`
	CancellationComment     *string       `json:"cancellationComment"`
	CancellationDateTimeUtc *string       `json:"cancellationDateTimeUtc"`
	ErrorHResult            int           `json:"errorHResult"`
	Scope                   *string       `json:"scope"`
	ExternalID              *string       `json:"externalId"`
	RequestSource           string        `json:"requestSource"`
	RelatedFileInfo         *fileInfoJSON `json:"relatedFileInfo"`
	Commands                []any         `json:"commands"`
	TroubleshootInfo        *string       `json:"troubleshootInfo"`
}

type fileInfoJSON struct {
	FileIdentifier     string `json:"fileIdentifier"`
	FileIdentifierType string `json:"fileIdentifierType"`
}

// failedHResult is the errorHResult of a Failed action (E_FAIL).
const failedHResult = -2147467259

func (a *actionRecord) toJSON(context string) actionJSON {
	j := actionJSON{
		Context: context, ID: a.ID, Type: a.Type, Requestor: a.Requestor,
		RequestorComment: a.RequestorComment, Status: a.Status, MachineID: a.MachineID,
		ComputerDNSName:       a.ComputerDNSName,
		CreationDateTimeUtc:   mdeTime(a.Created),
		LastUpdateDateTimeUtc: mdeTime(a.Updated),
		Scope:                 strPtr(a.Scope),
		RequestSource:         "PublicApi",
		Commands:              []any{},
	}
	if a.Cancelled {
		j.CancellationRequestor = strPtr(a.CancellationRequestor)
		c := a.CancellationComment
		j.CancellationComment = &c
		j.CancellationDateTimeUtc = mdeTimePtr(a.cancelTime)
	}
	if a.Sha1 != "" {
		j.RelatedFileInfo = &fileInfoJSON{FileIdentifier: a.Sha1, FileIdentifierType: "Sha1"}
	}
	if a.Status == statusFailed {
		j.ErrorHResult = failedHResult
		j.TroubleshootInfo = strPtr(a.Error)
	}
	return j
}

func (s *Server) actionContext(entity bool) string {
	if entity {
		return s.URL() + "/api/$metadata#MachineActions/$entity"
	}
	return s.URL() + "/api/$metadata#MachineActions"
}

// actionBody describes the body properties of one action type.
type actionBody struct {
	required []string
	optional []string
}

var actionBodies = map[string]actionBody{
	"Isolate":                     {required: []string{"Comment"}, optional: []string{"IsolationType"}},
	"RunAntiVirusScan":            {required: []string{"Comment", "ScanType"}},
	"StopAndQuarantineFile":       {required: []string{"Comment", "Sha1"}},
	"Unisolate":                   {required: []string{"Comment"}},
	"RestrictCodeExecution":       {required: []string{"Comment"}},
	"UnrestrictCodeExecution":     {required: []string{"Comment"}},
	"CollectInvestigationPackage": {required: []string{"Comment"}},
	"Offboard":                    {required: []string{"Comment"}},
}

func missingParam(rep *reply, name string) {
	rep.writeErrorf(http.StatusBadRequest, "MissingRequiredParameter", "Parameter %s is missing.", name)
}

func invalidBody(rep *reply) {
	rep.writeError(http.StatusBadRequest, "InvalidRequestBody", "Invalid request body.")
}

// isJSONContent reports whether a Content-Type names JSON.
func isJSONContent(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// decodeBody parses a JSON object body into its properties. An empty body
// is an empty object.
func decodeBody(rep *reply, req *request) (map[string]json.RawMessage, bool) {
	props := map[string]json.RawMessage{}
	if len(strings.TrimSpace(string(req.body))) == 0 {
		return props, true
	}
	if !isJSONContent(req.r.Header.Get("Content-Type")) {
		rep.writeError(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Type must be application/json.")
		return nil, false
	}
	if err := json.Unmarshal(req.body, &props); err != nil || props == nil {
		invalidBody(rep)
		return nil, false
	}
	return props, true
}

// stringProp reads a string property: ok=false means the reply is written.
func stringProp(rep *reply, props map[string]json.RawMessage, name string) (string, bool) {
	raw, present := props[name]
	if !present || string(raw) == "null" {
		return "", true
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		invalidBody(rep)
		return "", false
	}
	return v, true
}

// handleAction serves POST /api/machines/{id}/{action}.
func (s *Server) handleAction(rep *reply, req *request) {
	typ := req.m.arg
	spec := actionBodies[typ]
	props, ok := decodeBody(rep, req)
	if !ok {
		return
	}
	// Property names are case-sensitive: a wrong-case name is not the property.
	for key := range props {
		for _, name := range spec.optional {
			if key != name && strings.EqualFold(key, name) {
				invalidBody(rep)
				return
			}
		}
	}
	vals := map[string]string{}
	for _, name := range append(append([]string{}, spec.required...), spec.optional...) {
		v, ok := stringProp(rep, props, name)
		if !ok {
			return
		}
		vals[name] = v
	}
	for _, name := range spec.required {
		if strings.TrimSpace(vals[name]) == "" {
			missingParam(rep, name)
			return
		}
	}
	scope := ""
	switch typ {
	case "Isolate":
		scope = vals["IsolationType"]
		switch scope {
		case "", "Full", "Selective", "UnManagedDevice":
		default:
			invalidBody(rep)
			return
		}
		if scope == "" {
			scope = "Full"
		}
	case "RunAntiVirusScan":
		scope = vals["ScanType"]
		if scope != "Quick" && scope != "Full" {
			invalidBody(rep)
			return
		}
	}
	sha1 := ""
	if typ == "StopAndQuarantineFile" {
		sha1 = vals["Sha1"]
		if len(sha1) != 40 || !isHexString(sha1) {
			rep.writeErrorf(http.StatusBadRequest, "InvalidHashValue", "Hash %s is invalid.", sha1)
			return
		}
		sha1 = strings.ToLower(sha1)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.machineByIDLocked(req.m.id)
	if m == nil {
		rep.writeErrorf(http.StatusNotFound, "ResourceNotFound", "Machine %s was not found", req.m.id)
		return
	}
	if code, msg := osSupport(m, typ, scope); code != "" {
		rep.writeError(http.StatusBadRequest, code, msg)
		return
	}
	now := s.now()
	if live := s.liveDuplicateLocked(m, typ, sha1, now); live != nil {
		switch s.cfg.duplicateMode(typ) {
		case ReturnPending:
			rep.writeOData(http.StatusCreated, live.toJSON(s.actionContext(true)))
		case RejectInProgressMessage:
			rep.writeError(http.StatusBadRequest, "BadRequest", "Action is already in progress")
		case RejectBare:
			rep.status = http.StatusBadRequest
		default:
			rep.writeError(http.StatusBadRequest, "ActiveRequestAlreadyExists", "Action is already in progress")
		}
		return
	}
	a := &actionRecord{
		Action: Action{
			ID: newGUID(), Type: typ, Status: statusPending, MachineID: m.ID,
			ComputerDNSName: m.ComputerDNSName, Requestor: req.claims.requestor(),
			RequestorComment: vals["Comment"], Created: now, Updated: now, Sha1: sha1,
		},
		phaseStart: now,
		outcome:    m.Outcome,
	}
	if typ == "Isolate" || typ == "RunAntiVirusScan" {
		a.Scope = scope
	}
	if msg, ok := s.quarantine[sha1]; ok && sha1 != "" && m.Outcome.Status != statusTimeOut {
		a.outcome = Outcome{Status: statusFailed, Error: msg, Delay: m.Outcome.Delay}
	}
	s.actions = append(s.actions, a)
	s.actionByID[a.ID] = a
	s.notifyLocked()
	rep.writeOData(http.StatusCreated, a.toJSON(s.actionContext(true)))
}

// liveDuplicateLocked returns the action a request of typ on m would
// duplicate: one of the same type (and file) still Pending or InProgress,
// or, for an isolate, the isolate that left the machine isolated. s.mu
// must be held.
func (s *Server) liveDuplicateLocked(m *Machine, typ, sha1 string, now time.Time) *actionRecord {
	for _, a := range s.actions {
		if a.MachineID != m.ID || a.Type != typ {
			continue
		}
		s.advanceLocked(a, now)
		if terminal(a.Status) || (typ == "StopAndQuarantineFile" && a.Sha1 != sha1) {
			continue
		}
		return a
	}
	if typ == "Isolate" {
		return s.isolatingActionLocked(m, now)
	}
	return nil
}

// isolatingActionLocked returns the Succeeded isolate that keeps m
// isolated (none succeeded after it), or nil. s.mu must be held.
func (s *Server) isolatingActionLocked(m *Machine, now time.Time) *actionRecord {
	var last *actionRecord
	for _, a := range s.actions {
		if a.MachineID != m.ID || (a.Type != "Isolate" && a.Type != "Unisolate") {
			continue
		}
		s.advanceLocked(a, now)
		if a.Status == statusSucceeded && (last == nil || !a.Updated.Before(last.Updated)) {
			last = a
		}
	}
	if last != nil && last.Type == "Isolate" {
		return last
	}
	return nil
}

// osSupport applies the platform rules of Microsoft's pages as they stand
// today (they win over mde-api.md §4 where the two disagree):
//   - "Isolate machine API", "Take response actions on a device": full
//     isolation and release on Windows 10 1703+, Windows 11, Windows
//     Server, Linux and macOS; selective on Windows 10 1709+, Windows 11,
//     Windows Server and macOS from client 101.98.84, not Linux;
//     UnManagedDevice only for devices that are not onboarded, Full and
//     Selective only for onboarded ones.
//   - "Restrict app execution API": Windows 10 1709+, Windows 11, Windows
//     Server 2019+.
//   - Antivirus scan (Windows 10 1709+) and investigation package (1703+):
//     also Windows Server, Linux and macOS ("Take response actions on a
//     device").
//   - "Stop and quarantine file API": Windows 10 1703+, Windows 11,
//     Windows Server; not Linux or macOS.
//   - "Offboard machine API": Windows 10 1703+, Windows 11, Windows Server
//     2012 R2+, macOS 14+ and Linux.
func osSupport(m *Machine, typ, scope string) (code, msg string) {
	notSupported := func() (string, string) {
		return "OsPlatformNotSupported", m.OSPlatform + " isn't supported for this action."
	}
	tooOld := func(need string) (string, string) {
		return "ClientVersionNotSupported", typ + " is supported on client version " + need + " and above."
	}
	onboarded := m.OnboardingStatus == "Onboarded"
	if typ == "Isolate" {
		switch {
		case scope == "UnManagedDevice" && onboarded:
			return "InvalidInput", "Invalid input IsolationType: UnManagedDevice applies only to devices that are not onboarded."
		case scope == "UnManagedDevice":
			return "", ""
		case !onboarded:
			return "InvalidInput", "Invalid input IsolationType: " + scope + " isolation applies only to onboarded devices."
		}
	}
	windows10 := func(need string) (string, string) {
		if m.OSPlatform == "Windows10" && !windowsVersionAtLeast(m.Version, need) {
			return tooOld(need)
		}
		return "", ""
	}
	linux, mac := strings.EqualFold(m.OSPlatform, "Linux"), strings.EqualFold(m.OSPlatform, "macOS")
	server := strings.HasPrefix(m.OSPlatform, "WindowsServer")
	switch typ {
	case "Isolate", "Unisolate":
		if typ == "Isolate" && scope == "Selective" {
			switch {
			case linux:
				return notSupported()
			case mac:
				if !dottedVersionAtLeast(m.AgentVersion, "101.98.84") {
					return tooOld("101.98.84")
				}
				return "", ""
			}
			return windows10("1709")
		}
		return windows10("1703")
	case "RestrictCodeExecution", "UnrestrictCodeExecution":
		if linux || mac || server && m.OSPlatform < "WindowsServer2019" {
			return notSupported()
		}
		return windows10("1709")
	case "RunAntiVirusScan":
		return windows10("1709")
	case "CollectInvestigationPackage":
		return windows10("1703")
	case "StopAndQuarantineFile":
		if linux || mac {
			return notSupported()
		}
		return windows10("1703")
	case "Offboard":
		if mac {
			if major, _, _ := strings.Cut(m.Version, "."); len(major) < 2 || major < "14" {
				return tooOld("macOS 14")
			}
			return "", ""
		}
		return windows10("1703")
	}
	return "", ""
}

// windowsVersionAtLeast compares Windows 10 versions: "1607", "1709" or
// half-year names like "21H2" (all later than 1709).
func windowsVersionAtLeast(v, need string) bool {
	if len(v) == 4 && (v[2] == 'H' || v[2] == 'h') {
		return true
	}
	return v >= need
}

// dottedVersionAtLeast compares dotted numeric versions ("101.98.84").
func dottedVersionAtLeast(v, need string) bool {
	a, b := strings.Split(v, "."), strings.Split(need, ".")
	for i := range b {
		x, y := 0, 0
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		y, _ = strconv.Atoi(b[i])
		if x != y {
			return x > y
		}
	}
	return true
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

func normalizeHash(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

// normalizeGUID lower-cases a GUID for lookups.
func normalizeGUID(id string) string { return strings.ToLower(id) }

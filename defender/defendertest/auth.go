package defendertest

import (
	"net/http"
	"slices"
	"strings"
)

var (
	readRoles   = []string{RoleMachineReadWriteAll, RoleMachineReadAll}
	tiRoles     = []string{RoleTiReadWriteAll, RoleTiReadWrite}
	cancelRoles = []string{RoleMachineIsolate, RoleMachineRestrictExecution, RoleMachineScan,
		RoleMachineCollectForensics, RoleMachineStopAndQuarantine, RoleMachineOffboard, RoleMachineLiveResponse}
)

// requiredRoles lists the application roles of which a token needs one to
// call route (WindowsDefenderATP permissions, mde-api.md §2.4).
func requiredRoles(route string) []string {
	switch route {
	case "actions.isolate", "actions.unisolate":
		return []string{RoleMachineIsolate}
	case "actions.restrictCodeExecution", "actions.unrestrictCodeExecution":
		return []string{RoleMachineRestrictExecution}
	case "actions.runAntiVirusScan":
		return []string{RoleMachineScan}
	case "actions.collectInvestigationPackage":
		return []string{RoleMachineCollectForensics}
	case "actions.StopAndQuarantineFile":
		return []string{RoleMachineStopAndQuarantine}
	case "actions.offboard":
		return []string{RoleMachineOffboard}
	case "machineactions.cancel":
		return cancelRoles
	case "indicators.post", "indicators.delete", "indicators.list":
		return tiRoles
	}
	return readRoles
}

// authorize checks the bearer token (401) and its roles (403).
func (s *Server) authorize(rep *reply, req *request) (*tokenClaims, bool) {
	h := req.r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		unauthorized(rep)
		return nil, false
	}
	claims, ok := s.verifyToken(strings.TrimSpace(tok))
	if !ok {
		unauthorized(rep)
		return nil, false
	}
	need := requiredRoles(req.m.route)
	for _, r := range claims.Roles {
		if slices.Contains(need, r) {
			return claims, true
		}
	}
	rep.writeError(http.StatusForbidden, "Forbidden", "Missing application roles. API required roles: "+
		strings.Join(need, ",")+", application roles: "+strings.Join(claims.Roles, ",")+".")
	return nil, false
}

func unauthorized(rep *reply) {
	rep.writeError(http.StatusUnauthorized, "Unauthorized", "Invalid Authorization payload.")
	rep.header.Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/`+TenantID+`", error="invalid_token"`)
}

// requestor is how MDE names the app in an action's requestor and
// cancellationRequestor: its display name. (mde-api.md §6.1 also quotes
// "<App name> (<tenant>.onmicrosoft.com)" seen in the wild; the client
// never parses requestor, so either form works with it.)
func (c *tokenClaims) requestor() string { return AppDisplayName }

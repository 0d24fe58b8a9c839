package defender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Machine is an MDE device. Fields MDE may send as null are left zero.
type Machine struct {
	ID                    MachineID   `json:"id"`
	ComputerDNSName       string      `json:"computerDnsName"`
	FirstSeen             time.Time   `json:"firstSeen"`
	LastSeen              time.Time   `json:"lastSeen"`
	OSPlatform            string      `json:"osPlatform"`
	OSVersion             string      `json:"osVersion"`
	OSProcessor           string      `json:"osProcessor"`
	OSArchitecture        string      `json:"osArchitecture"`
	Version               string      `json:"version"`
	OSBuild               int64       `json:"osBuild"`
	LastIPAddress         string      `json:"lastIpAddress"`
	LastExternalIPAddress string      `json:"lastExternalIpAddress"`
	AgentVersion          string      `json:"agentVersion"`
	HealthStatus          string      `json:"healthStatus"`
	DeviceValue           string      `json:"deviceValue"`
	RBACGroupID           int64       `json:"rbacGroupId"`
	RBACGroupName         string      `json:"rbacGroupName"`
	RiskScore             string      `json:"riskScore"`
	ExposureLevel         string      `json:"exposureLevel"`
	AADDeviceID           string      `json:"aadDeviceId"`
	IsAADJoined           bool        `json:"isAadJoined"`
	MachineTags           []string    `json:"machineTags"`
	OnboardingStatus      string      `json:"onboardingStatus"`
	DefenderAVStatus      string      `json:"defenderAvStatus"`
	ManagedBy             string      `json:"managedBy"`
	ManagedByStatus       string      `json:"managedByStatus"`
	MergedIntoMachineID   string      `json:"mergedIntoMachineId"`
	IsPotentialDuplicate  bool        `json:"isPotentialDuplication"`
	IsExcluded            bool        `json:"isExcluded"`
	ExclusionReason       string      `json:"exclusionReason"`
	IPAddresses           []IPAddress `json:"ipAddresses"`
}

// IPAddress is one network interface address of a Machine.
type IPAddress struct {
	IPAddress         string `json:"ipAddress"`
	MACAddress        string `json:"macAddress"`
	Type              string `json:"type"`
	OperationalStatus string `json:"operationalStatus"`
}

// UnmarshalJSON decodes a machine, tolerating nulls, timestamps with up to
// 7 fractional digits, and rbacGroupId/osBuild sent as strings.
func (m *Machine) UnmarshalJSON(b []byte) error {
	type plain Machine
	aux := struct {
		*plain
		FirstSeen   jsonTime `json:"firstSeen"`
		LastSeen    jsonTime `json:"lastSeen"`
		OSBuild     flexInt  `json:"osBuild"`
		RBACGroupID flexInt  `json:"rbacGroupId"`
	}{
		plain:       (*plain)(m),
		FirstSeen:   jsonTime{&m.FirstSeen},
		LastSeen:    jsonTime{&m.LastSeen},
		OSBuild:     flexInt{&m.OSBuild},
		RBACGroupID: flexInt{&m.RBACGroupID},
	}
	return json.Unmarshal(b, &aux)
}

// MachinesService finds machines.
type MachinesService struct{ c *Client }

// Get returns the machine with id.
//
// MDE: GET /api/machines/{id}.
func (s *MachinesService) Get(ctx context.Context, id MachineID) (Machine, error) {
	id, err := ParseMachineID(string(id))
	if err != nil {
		return Machine{}, err
	}
	var m Machine
	_, err = s.c.do(ctx, request{family: FamilyMachines, method: "GET", path: "/api/machines/" + string(id)}, &m)
	return m, err
}

// FindByName returns the machines whose DNS name is name, compared
// case-insensitively. A short name (no dot) also matches every FQDN that
// starts with "name.", so "ws-0100" finds ws-0100.contoso.local and
// ws-0100.fabrikam.local; callers decide what to do with several matches.
//
// MDE: GET /api/machines?$filter=computerDnsName eq '…' (or startswith).
func (s *MachinesService) FindByName(ctx context.Context, name string) ([]Machine, error) {
	typed := strings.TrimSuffix(strings.TrimSpace(name), ".")
	name = strings.ToLower(typed)
	if len(name) > 255 {
		return nil, fmt.Errorf("defender: machine name of %d bytes is longer than a DNS name can be", len(name))
	}
	if err := checkLiteral(name); err != nil {
		return nil, fmt.Errorf("defender: machine name: %w", err)
	}
	short := !strings.Contains(name, ".")
	// MDE reports names in lowercase, but its comparison may be
	// case-sensitive: ask for the name as typed too.
	var terms []string
	for _, v := range uniq(name, typed) {
		lit, _ := odataString(v)
		terms = append(terms, "computerDnsName eq "+lit)
		if short {
			prefix, _ := odataString(v + ".")
			terms = append(terms, "startswith(computerDnsName,"+prefix+")")
		}
	}
	filter := strings.Join(terms, " or ")
	ms, err := s.list(ctx, filter)
	if err != nil {
		return nil, err
	}
	// The server's comparison may be case-sensitive or looser than ours:
	// keep exactly what the documented rule matches.
	out := ms[:0]
	for _, m := range ms {
		dns := strings.ToLower(m.ComputerDNSName)
		if dns == name || short && strings.HasPrefix(dns, name+".") {
			out = append(out, m)
		}
	}
	return out, nil
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// FindByLastIP returns the machines whose last reported local IP is ip.
//
// MDE: GET /api/machines?$filter=lastIpAddress eq '…'.
func (s *MachinesService) FindByLastIP(ctx context.Context, ip netip.Addr) ([]Machine, error) {
	if !ip.IsValid() {
		return nil, fmt.Errorf("defender: no IP address given")
	}
	lit, err := odataString(ip.Unmap().String())
	if err != nil {
		return nil, err
	}
	return s.list(ctx, "lastIpAddress eq "+lit)
}

// FindByIP returns the machines seen with the internal address ip within
// 15 minutes of at, which must lie within the last 30 days.
//
// MDE: GET /api/machines/findbyip(ip='…',timestamp=…).
func (s *MachinesService) FindByIP(ctx context.Context, ip netip.Addr, at time.Time) ([]Machine, error) {
	if !ip.IsValid() {
		return nil, fmt.Errorf("defender: no IP address given")
	}
	if now := s.c.clock.Now(); at.Before(now.Add(-30*24*time.Hour)) || at.After(now.Add(time.Hour)) {
		return nil, fmt.Errorf("defender: findbyip needs a time within the last 30 days, not %s", at.UTC().Format(time.RFC3339))
	}
	path := "/api/machines/findbyip(ip='" + ip.Unmap().String() + "',timestamp=" + at.UTC().Format("2006-01-02T15:04:05Z") + ")"
	return s.getList(ctx, path, nil)
}

// getList reads one unpaged machine list (findbyip).
func (s *MachinesService) getList(ctx context.Context, path string, q url.Values) ([]Machine, error) {
	var list odataList[Machine]
	if _, err := s.c.do(ctx, request{family: FamilyMachines, method: "GET", path: path, query: q}, &list); err != nil {
		return nil, err
	}
	return list.Value, nil
}

// machinePageSize is $top for machine lists: searches return few machines.
const machinePageSize = 10000

// list pages through GET /api/machines?$filter=filter.
func (s *MachinesService) list(ctx context.Context, filter string) ([]Machine, error) {
	ms, err := listAll[Machine](ctx, s.c, FamilyMachines, "/api/machines", filter, ListOptions{PageSize: machinePageSize})
	if errors.Is(err, ErrNotFound) {
		// MDE answers 404 when no machine was seen recently.
		return nil, nil
	}
	return ms, err
}

package defendertest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Machine is a device known to the fake MDE. Zero fields get believable
// defaults when the server is created: a 40-hex ID derived from the name,
// HealthStatus "Active", OnboardingStatus "Onboarded", LastSeen a few
// minutes before the server clock (nine days for an Inactive machine),
// FirstSeen months before.
type Machine struct {
	ID                    string
	ComputerDNSName       string
	OSPlatform            string // e.g. Windows11, Windows10, WindowsServer2022, Linux, macOS
	Version               string // e.g. 23H2, 1709
	HealthStatus          string
	RiskScore             string
	ExposureLevel         string
	LastIPAddress         string
	LastExternalIPAddress string
	RbacGroupName         string
	OnboardingStatus      string
	OSBuild               int64
	// AgentVersion is the Defender client's version (default: a current
	// one for the platform; macOS selective isolation needs 101.98.84).
	AgentVersion string
	RbacGroupID  int
	LastSeen     time.Time
	FirstSeen    time.Time
	MachineTags  []string
	Outcome      Outcome
	// Offboarded marks a machine offboarded from MDE: the server seeds it
	// with a Succeeded Offboard action, and a succeeded Offboard sets it.
	// MDE still accepts actions for it, but they never run: they stay
	// Pending.
	Offboarded bool
}

// offlinePending is how long MDE keeps an action for an offline machine
// Pending before it times out ("up to 3 days", as "Take response actions
// on a device" and the live response page say).
const offlinePending = 72 * time.Hour

// Outcome says how actions on a machine end. The zero Outcome means
// Succeeded after the server's progress durations, except on an Inactive
// machine (offline), whose actions stay Pending for 3 days and then time
// out. Status "TimeOut" keeps
// the action Pending, then times it out (an offline machine); "Failed"
// runs it, then fails it with Error (shown in troubleshootInfo). Delay,
// when non-zero, is the time from creation to the terminal status.
type Outcome struct {
	Status string
	Error  string
	Delay  time.Duration
}

// DefaultMachines returns the fleet a server is seeded with: a few dozen
// Windows workstations (among them ws-0042.contoso.local, id
// 1e5bc9d7e413ddd7902c2932e418702b84d0cc07), Windows servers, a Linux host,
// a macOS laptop (no app restriction or stop and quarantine there), one
// offline workstation whose actions time out (ws-0077.contoso.local), and
// two machines sharing the short name ws-0100 in different domains.
func DefaultMachines() []Machine {
	tags := [][]string{{"finance"}, {"sales"}, {"engineering"}, nil, {"finance", "vip"}, {"hr"}, {"engineering", "dev"}}
	var ms []Machine
	for i := 1; i <= 30; i++ {
		n := i * 3
		if i == 14 {
			n = 42
		}
		m := Machine{
			ComputerDNSName:       fmt.Sprintf("ws-%04d.contoso.local", n),
			OSPlatform:            "Windows11",
			Version:               "23H2",
			OSBuild:               22631,
			HealthStatus:          "Active",
			RiskScore:             []string{"None", "Low", "Medium", "High", "Informational"}[i%5],
			ExposureLevel:         []string{"Low", "Medium", "High"}[i%3],
			LastIPAddress:         fmt.Sprintf("10.20.30.%d", 10+i),
			LastExternalIPAddress: "203.0.113.7",
			RbacGroupName:         "Workstations",
			RbacGroupID:           140,
			MachineTags:           tags[i%len(tags)],
		}
		if i%4 == 0 {
			m.OSPlatform, m.Version, m.OSBuild = "Windows10", "22H2", 19045
		}
		if n == 42 {
			m.ID = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
			m.LastIPAddress = "10.20.30.41"
			m.RiskScore, m.ExposureLevel = "Medium", "Low"
			m.MachineTags = []string{"finance", "vip"}
		}
		ms = append(ms, m)
	}
	ms = append(ms,
		Machine{ComputerDNSName: "ws-0077.contoso.local", OSPlatform: "Windows10", Version: "22H2", OSBuild: 19045,
			HealthStatus: "Inactive", RiskScore: "Low", ExposureLevel: "Medium", LastIPAddress: "10.20.31.77",
			LastExternalIPAddress: "203.0.113.7", RbacGroupName: "Workstations", RbacGroupID: 140,
			MachineTags: []string{"sales"}, Outcome: Outcome{Status: "TimeOut"}},
		Machine{ComputerDNSName: "ws-0100.contoso.local", OSPlatform: "Windows11", Version: "24H2", OSBuild: 26100,
			HealthStatus: "Active", RiskScore: "None", ExposureLevel: "Low", LastIPAddress: "10.20.31.100",
			LastExternalIPAddress: "203.0.113.7", RbacGroupName: "Workstations", RbacGroupID: 140},
		Machine{ComputerDNSName: "ws-0100.fabrikam.local", OSPlatform: "Windows10", Version: "21H2", OSBuild: 19044,
			HealthStatus: "Active", RiskScore: "Low", ExposureLevel: "Low", LastIPAddress: "172.16.5.100",
			LastExternalIPAddress: "198.51.100.20", RbacGroupName: "Fabrikam", RbacGroupID: 210, MachineTags: []string{"fabrikam"}},
		Machine{ComputerDNSName: "ws-legacy.contoso.local", OSPlatform: "Windows10", Version: "1607", OSBuild: 14393,
			HealthStatus: "Active", RiskScore: "High", ExposureLevel: "High", LastIPAddress: "10.20.31.16",
			LastExternalIPAddress: "203.0.113.7", RbacGroupName: "Workstations", RbacGroupID: 140, MachineTags: []string{"legacy"}},
		Machine{ComputerDNSName: "srv-dc01.contoso.local", OSPlatform: "WindowsServer2022", Version: "21H2", OSBuild: 20348,
			HealthStatus: "Active", RiskScore: "None", ExposureLevel: "Medium", LastIPAddress: "10.20.1.10",
			LastExternalIPAddress: "203.0.113.8", RbacGroupName: "Servers", RbacGroupID: 150, MachineTags: []string{"tier0"}},
		Machine{ComputerDNSName: "srv-sql01.contoso.local", OSPlatform: "WindowsServer2019", Version: "1809", OSBuild: 17763,
			HealthStatus: "Active", RiskScore: "Low", ExposureLevel: "High", LastIPAddress: "10.20.1.20",
			LastExternalIPAddress: "203.0.113.8", RbacGroupName: "Servers", RbacGroupID: 150, MachineTags: []string{"tier1", "sql"}},
		Machine{ComputerDNSName: "srv-file01.contoso.local", OSPlatform: "WindowsServer2016", Version: "1607", OSBuild: 14393,
			HealthStatus: "Active", RiskScore: "Medium", ExposureLevel: "Medium", LastIPAddress: "10.20.1.30",
			LastExternalIPAddress: "203.0.113.8", RbacGroupName: "Servers", RbacGroupID: 150, MachineTags: []string{"tier1"}},
		Machine{ComputerDNSName: "lnx-web01.contoso.local", OSPlatform: "Linux", Version: "22.04", OSBuild: 0,
			HealthStatus: "Active", RiskScore: "Low", ExposureLevel: "Medium", LastIPAddress: "10.20.2.10",
			LastExternalIPAddress: "203.0.113.9", RbacGroupName: "Servers", RbacGroupID: 150, MachineTags: []string{"web"}},
		Machine{ComputerDNSName: "mac-0007.contoso.local", OSPlatform: "macOS", Version: "14.5", OSBuild: 0,
			HealthStatus: "Active", RiskScore: "None", ExposureLevel: "Low", LastIPAddress: "10.20.32.7",
			LastExternalIPAddress: "203.0.113.7", RbacGroupName: "Workstations", RbacGroupID: 140, MachineTags: []string{"design"}},
	)
	return ms
}

// fillMachineDefaults completes a seeded machine (index i) relative to now.
func fillMachineDefaults(m *Machine, i int, now time.Time) {
	if m.ID == "" {
		sum := sha1.Sum([]byte("mdebot-fake/" + m.ComputerDNSName))
		m.ID = hex.EncodeToString(sum[:])
	}
	m.ID = strings.ToLower(m.ID)
	if m.HealthStatus == "" {
		m.HealthStatus = "Active"
	}
	if m.OnboardingStatus == "" {
		m.OnboardingStatus = "Onboarded"
	}
	if m.OSPlatform == "" {
		m.OSPlatform, m.Version, m.OSBuild = "Windows11", "23H2", 22631
	}
	if m.AgentVersion == "" {
		m.AgentVersion = "10.8760.22621.3527"
		if m.OSPlatform == "Linux" || m.OSPlatform == "macOS" {
			m.AgentVersion = "101.24092.0004"
		}
	}
	if m.HealthStatus == "Inactive" && m.Outcome == (Outcome{}) {
		m.Outcome = Outcome{Status: statusTimeOut, Delay: offlinePending}
	}
	if m.LastSeen.IsZero() {
		if m.HealthStatus == "Inactive" || m.Offboarded {
			m.LastSeen = now.Add(-9*24*time.Hour - time.Duration(i)*time.Minute)
		} else {
			m.LastSeen = now.Add(-time.Duration(3+i%50) * time.Minute)
		}
	}
	if m.FirstSeen.IsZero() {
		m.FirstSeen = m.LastSeen.Add(-time.Duration(200+i) * 24 * time.Hour)
	}
}

func (m *Machine) isWindows() bool { return strings.HasPrefix(m.OSPlatform, "Windows") }

// aadDeviceID derives a stable Entra device id for Windows machines.
func (m *Machine) aadDeviceID() *string {
	if !m.isWindows() {
		return nil
	}
	sum := sha1.Sum([]byte("aad/" + m.ID))
	h := hex.EncodeToString(sum[:16])
	id := h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
	return &id
}

// machineJSON is the Machine entity with the property order of real answers.
type machineJSON struct {
	ID                     string       `json:"id"`
	MergedIntoMachineID    *string      `json:"mergedIntoMachineId"`
	IsPotentialDuplication bool         `json:"isPotentialDuplication"`
	IsExcluded             bool         `json:"isExcluded"`
	ExclusionReason        *string      `json:"exclusionReason"`
	ComputerDNSName        string       `json:"computerDnsName"`
	FirstSeen              string       `json:"firstSeen"`
	LastSeen               string       `json:"lastSeen"`
	OSPlatform             string       `json:"osPlatform"`
	OSVersion              *string      `json:"osVersion"`
	OSProcessor            string       `json:"osProcessor"`
	Version                string       `json:"version"`
	LastIPAddress          string       `json:"lastIpAddress"`
	LastExternalIPAddress  string       `json:"lastExternalIpAddress"`
	AgentVersion           string       `json:"agentVersion"`
	OSBuild                *int64       `json:"osBuild"`
	HealthStatus           string       `json:"healthStatus"`
	DeviceValue            string       `json:"deviceValue"`
	RbacGroupID            int          `json:"rbacGroupId"`
	RbacGroupName          *string      `json:"rbacGroupName"`
	RiskScore              *string      `json:"riskScore"`
	ExposureLevel          *string      `json:"exposureLevel"`
	IsAadJoined            bool         `json:"isAadJoined"`
	AadDeviceID            *string      `json:"aadDeviceId"`
	MachineTags            []string     `json:"machineTags"`
	DefenderAvStatus       string       `json:"defenderAvStatus"`
	OnboardingStatus       string       `json:"onboardingStatus"`
	OSArchitecture         string       `json:"osArchitecture"`
	ManagedBy              string       `json:"managedBy"`
	ManagedByStatus        string       `json:"managedByStatus"`
	IPAddresses            []ipAddrJSON `json:"ipAddresses"`
	VMMetadata             *string      `json:"vmMetadata"`
}

type ipAddrJSON struct {
	IPAddress         string  `json:"ipAddress"`
	MACAddress        *string `json:"macAddress"`
	Type              string  `json:"type"`
	OperationalStatus string  `json:"operationalStatus"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (m *Machine) toJSON() machineJSON {
	mac := strings.ToUpper(m.ID[:12])
	j := machineJSON{
		ID: m.ID, ComputerDNSName: m.ComputerDNSName,
		FirstSeen: mdeTime(m.FirstSeen), LastSeen: mdeTime(m.LastSeen),
		OSPlatform: m.OSPlatform, OSProcessor: "x64", Version: m.Version,
		LastIPAddress: m.LastIPAddress, LastExternalIPAddress: m.LastExternalIPAddress,
		AgentVersion: m.AgentVersion, HealthStatus: m.HealthStatus, DeviceValue: "Normal",
		RbacGroupID: m.RbacGroupID, RbacGroupName: strPtr(m.RbacGroupName),
		RiskScore: strPtr(m.RiskScore), ExposureLevel: strPtr(m.ExposureLevel),
		IsAadJoined: m.isWindows(), AadDeviceID: m.aadDeviceID(),
		MachineTags: append([]string{}, m.MachineTags...), DefenderAvStatus: "Updated",
		OnboardingStatus: m.OnboardingStatus, OSArchitecture: "64-bit",
		ManagedBy: "MicrosoftDefenderForEndpoint", ManagedByStatus: "Unknown",
		IPAddresses: []ipAddrJSON{},
	}
	if m.OSBuild != 0 {
		b := m.OSBuild
		j.OSBuild = &b
	}
	if m.isWindows() {
		j.ManagedBy = "Intune"
	}
	if m.LastIPAddress != "" {
		j.IPAddresses = append(j.IPAddresses, ipAddrJSON{IPAddress: m.LastIPAddress, MACAddress: &mac, Type: "Ethernet", OperationalStatus: "Up"})
	}
	j.IPAddresses = append(j.IPAddresses, ipAddrJSON{IPAddress: "127.0.0.1", Type: "SoftwareLoopback", OperationalStatus: "Up"})
	return j
}

// machineView adapts a Machine to the $filter evaluator.
type machineView struct{ m Machine }

func (v machineView) field(name string) any {
	m := v.m
	switch name {
	case "computerDnsName":
		return m.ComputerDNSName
	case "id":
		return m.ID
	case "version":
		return m.Version
	case "deviceValue":
		return "Normal"
	case "aadDeviceId":
		if p := m.aadDeviceID(); p != nil {
			return *p
		}
		return nil
	case "machineTags":
		return m.MachineTags
	case "lastSeen":
		return m.LastSeen
	case "exposureLevel":
		return m.ExposureLevel
	case "onboardingStatus":
		return m.OnboardingStatus
	case "lastIpAddress":
		return m.LastIPAddress
	case "healthStatus":
		return m.HealthStatus
	case "osPlatform":
		return m.OSPlatform
	case "riskScore":
		return m.RiskScore
	case "rbacGroupId":
		return float64(m.RbacGroupID)
	}
	return nil
}

var machineSchema = &entitySchema{
	typeName: "microsoft.windowsDefenderATP.api.PublicMachine",
	filterable: map[string]fieldKind{
		"computerDnsName": kString, "id": kString, "version": kString, "deviceValue": kString,
		"aadDeviceId": kString, "machineTags": kStringList, "lastSeen": kDate, "exposureLevel": kString,
		"onboardingStatus": kString, "lastIpAddress": kString, "healthStatus": kString,
		"osPlatform": kString, "riskScore": kString, "rbacGroupId": kNumber,
	},
	properties: jsonNames(machineJSON{}),
}

// Machines returns the machines the server knows, in seeding order.
func (s *Server) Machines() []Machine {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Machine, len(s.machines))
	for i, m := range s.machines {
		out[i] = *m
		out[i].MachineTags = append([]string(nil), m.MachineTags...)
	}
	return out
}

// machineByIDLocked finds a machine by id (case-insensitive). s.mu must be
// held.
func (s *Server) machineByIDLocked(id string) *Machine {
	low := strings.ToLower(id)
	for _, m := range s.machines {
		if m.ID == low {
			return m
		}
	}
	return nil
}

// machineLocked finds a machine by id or, failing that, by a unique
// computerDnsName (GET /api/machines/{id} accepts a name). s.mu must be
// held.
func (s *Server) machineLocked(idOrName string) *Machine {
	if m := s.machineByIDLocked(idOrName); m != nil {
		return m
	}
	var found *Machine
	for _, m := range s.machines {
		if strings.EqualFold(m.ComputerDNSName, idOrName) {
			if found != nil {
				return nil
			}
			found = m
		}
	}
	return found
}

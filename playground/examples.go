package playground

// Example is a command worth trying in the playground, with what it shows.
type Example struct {
	Command string `json:"command"`
	Note    string `json:"note"`
}

// Examples returns commands that walk through the product against the
// simulated tenant; the page offers them in its sidebar.
func Examples() []Example {
	return []Example{
		{Command: "/mde help", Note: "what mdebot can do"},
		{Command: "/mde machine ws-0042", Note: "a healthy Windows 11 workstation"},
		{Command: "/mde scan ws-0042 quick alert 4242 follow-up", Note: "runs at once: no approval needed"},
		{Command: "/mde isolate ws-0042 ransomware note on the desktop", Note: "then switch to an approver to approve"},
		{Command: "/mde isolate ws-0077 beaconing to a known C2", Note: "offline machine: Pending, then TimeOut"},
		{Command: "/mde machine ws-0100", Note: "two machines share this name"},
		{Command: "/mde quarantine ws-0042 " + SignedFileSHA1 + " suspicious binary", Note: "a Microsoft-signed file: Defender refuses"},
		{Command: "/mde isolate srv-dc01 lateral movement from the DC", Note: "Tier0-Servers: needs both IR leads"},
		{Command: "/mde isolate ws-0012 CFO laptop beaconing", Note: "tag VIP: only Sam may approve"},
		{Command: "/mde scan kiosk-lobby-01 odd process", Note: "tag Kiosk: runs at once"},
		{Command: "/mde isolate ws-0003 --break-glass C2 at 3am, nobody answers", Note: "as Riley: runs alone, then Alex or Sam must review it"},
		{Command: "/mde scan ws-0003 ws-0006 ws-0009 quick outbreak sweep", Note: "one request, three machines: the card counts their outcomes"},
		{Command: "/mde isolate tag:finance selective -- ransomware in finance", Note: "every machine tagged finance: one approval (one more over 10 machines)"},
		{Command: "/mde history --break-glass", Note: "break-glass actions and their reviews"},
		{Command: "/mde history", Note: "as an approver or the manager"},
	}
}

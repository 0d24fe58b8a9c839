package playground

import "github.com/mdebot/mdebot/slacktest"

// The seeded workspace: its people, the approvers' user group and the channel.
// The IDs are constants, so they stay the same from one start to the next.
const (
	ResponderID  = "U0RESPOND1"
	Approver1ID  = "U0APPROVE1"
	Approver2ID  = "U0APPROVE2"
	ManagerID    = "U0MANAGER1"
	ApproversID  = "S0APPROVER"
	OnCallID     = "S0ONCALL01" // the on-call lead, asked when nobody decides in time
	ChannelID    = "C0INCIDENT"
	AlertsID     = "C0SECALERT" // where break-glass actions are announced
	AlertsName   = "sec-alerts"
	ChannelName  = "incident"
	teamID       = "T0CONTOSO1"
	teamDomain   = "contoso"
	approversTag = "ir-leads"
)

// Person is one seeded member of the fake workspace, with the role the
// playground's configuration gives them.
type Person struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"realName"`
	Role     string `json:"role"`
}

// People returns the seeded members in the order the page lists them:
// a responder (may request), two approvers (in the approvers' user group,
// may request, approve and read history) and a manager (may read history).
func People() []Person {
	return []Person{
		{ID: ResponderID, Name: "riley", RealName: "Riley Responder", Role: "responder"},
		{ID: Approver1ID, Name: "alex", RealName: "Alex Approver", Role: "approver"},
		{ID: Approver2ID, Name: "sam", RealName: "Sam Approver", Role: "approver"},
		{ID: ManagerID, Name: "morgan", RealName: "Morgan Manager", Role: "manager"},
	}
}

// slackOptions seeds a fake workspace with People, the approvers' group and
// the channel.
func slackOptions() []slacktest.Option {
	var users []slacktest.User
	for _, p := range People() {
		users = append(users, slacktest.User{
			ID: p.ID, Name: p.Name, RealName: p.RealName, Email: p.Name + "@contoso.com", TZ: "Europe/London",
		})
	}
	return []slacktest.Option{
		slacktest.WithTeam(teamID, teamDomain),
		slacktest.WithUsers(users...),
		slacktest.WithUserGroups(slacktest.UserGroup{
			ID: ApproversID, Handle: approversTag, Name: "IR leads", Members: []string{Approver1ID, Approver2ID},
		}, slacktest.UserGroup{
			ID: OnCallID, Handle: "on-call", Name: "On-call lead", Members: []string{Approver1ID},
		}),
		slacktest.WithChannels(slacktest.Channel{ID: ChannelID, Name: ChannelName}, slacktest.Channel{ID: AlertsID, Name: AlertsName}),
	}
}

// person returns the seeded member with id.
func person(id string) (Person, bool) {
	for _, p := range People() {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

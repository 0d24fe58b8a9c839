// Package blocks renders what mdebot shows in Slack as Block Kit: request
// cards, thread replies, notices and refusals, the deny modal, machine
// replies and pickers, history pages, direct messages and the App Home.
//
// Its input is a neutral view model (RequestView, MachineView, HistoryRow,
// HomeView…) of plain values that the bot fills from approvals and
// defender; each Render function is pure and returns a Message (fallback
// text and blocks) or a view. Every string except the ids mdebot or Slack
// generate is treated as hostile: EscapeText and TruncateText keep it
// inside Slack's documented limits (MaxSectionText…) and free of mentions
// and links. The block and action ids a handler dispatches on (ActionApprove…)
// are named here, next to the buttons that carry them. Golden files in
// testdata/ pin every rendering (go test -update regenerates them).
package blocks

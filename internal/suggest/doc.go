// Package suggest finds the word a user most likely meant: the bot's command
// parser and the configuration loader both answer a near-miss ("isloate",
// "aprovers") with "did you mean …?".
package suggest

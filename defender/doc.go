// Package defender is a typed client for the Microsoft Defender for Endpoint
// (MDE) REST API: machines, machine actions, investigation packages and file
// indicators, with Entra ID client-credentials auth and MDE's rate limits.
package defender

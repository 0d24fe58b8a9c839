module github.com/mdebot/mdebot

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/slack-go/slack v0.35.0
	go.etcd.io/bbolt v1.5.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	golang.org/x/sys v0.45.0 // indirect
)

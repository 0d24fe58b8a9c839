package playground

import (
	"embed"
	"io/fs"
	"net"
	"net/http"
	"strings"
)

//go:embed web
var webFiles embed.FS

// contentSecurityPolicy lets the page run its own script and style only:
// even if some text reached the DOM as HTML, it could not run.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// handler routes the page's assets, its API and its event stream.
func (p *Playground) handler() http.Handler {
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree always has web/
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", p.handleState)
	mux.HandleFunc("POST /api/command", p.handleCommand)
	mux.HandleFunc("POST /api/click", p.handleClick)
	mux.HandleFunc("POST /api/submit", p.handleSubmit)
	mux.HandleFunc("POST /api/close", p.handleClose)
	mux.HandleFunc("POST /api/home", p.handleHome)
	mux.HandleFunc("POST /api/viewclick", p.handleViewClick)
	mux.HandleFunc("POST /api/select", p.handleSelect)
	mux.HandleFunc("GET /api/file", p.handleFile)
	mux.HandleFunc("GET /package/{file}", p.handlePackage)
	mux.HandleFunc("GET /events", p.handleEvents)
	loopback := isLoopback(p.ln.Addr())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if loopback && !loopbackHost(r.Host) {
			// A page on another site whose name resolves to 127.0.0.1 (DNS
			// rebinding) must not drive the playground.
			http.Error(w, "the playground answers to localhost only", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(w, r)
	})
}

// isLoopback reports whether addr is a loopback TCP address.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// loopbackHost reports whether a Host header names this machine: localhost
// or a loopback IP, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

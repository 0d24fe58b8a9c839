package defendertest

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// findByIPWindow is how far from the timestamp findbyip looks.
const findByIPWindow = 15 * time.Minute

func (s *Server) machineContext(entity bool) string {
	if entity {
		return s.URL() + "/api/$metadata#Machines/$entity"
	}
	return s.URL() + "/api/$metadata#Machines"
}

// handleMachinesList serves GET /api/machines with OData options, or 404
// when the tenant has no machine at all.
func (s *Server) handleMachinesList(rep *reply, req *request) {
	q, err := parseODataQuery(req.r.URL.RawQuery, machineSchema)
	if err != nil {
		rep.writeODataError(err.Error())
		return
	}
	s.mu.Lock()
	if len(s.machines) == 0 {
		s.mu.Unlock()
		// MDE documents a 404 when no machine was seen within the
		// retention period; the body is not documented.
		rep.writeError(http.StatusNotFound, "ResourceNotFound", "No machines were found")
		return
	}
	views := make([]machineView, len(s.machines))
	for i, m := range s.machines {
		views[i] = machineView{*m}
	}
	s.mu.Unlock()
	writeList(s, rep, req, q, views, s.machineContext(false), func(v machineView) machineJSON { return v.m.toJSON() })
}

// handleMachineGet serves GET /api/machines/{id}.
func (s *Server) handleMachineGet(rep *reply, req *request) {
	s.mu.Lock()
	m := s.machineLocked(req.m.id)
	var j machineJSON
	if m != nil {
		j = m.toJSON()
	}
	s.mu.Unlock()
	if m == nil {
		rep.writeErrorf(http.StatusNotFound, "ResourceNotFound", "Machine %s was not found", req.m.id)
		return
	}
	rep.writeOData(http.StatusOK, struct {
		Context string `json:"@odata.context"`
		machineJSON
	}{s.machineContext(true), j})
}

// parseFunctionArgs splits "ip='10.1.2.3',timestamp=2024-01-01T00:00:00Z".
func parseFunctionArgs(s string) (map[string]string, bool) {
	out := map[string]string{}
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, false
		}
		key = strings.TrimSpace(key)
		rest = strings.TrimSpace(rest)
		var val string
		if strings.HasPrefix(rest, "'") {
			end := strings.Index(rest[1:], "'")
			if end < 0 {
				return nil, false
			}
			val, rest = rest[1:end+1], rest[end+2:]
		} else {
			v, r, _ := strings.Cut(rest, ",")
			val, rest = strings.TrimSpace(v), ","+r
			if r == "" {
				rest = ""
			}
		}
		out[key] = val
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return nil, false
			}
			rest = rest[1:]
		}
		s = rest
	}
	return out, true
}

// handleFindByIP serves GET /api/machines/findbyip(ip='…',timestamp=…):
// machines that had the internal IP within ±15 minutes of the timestamp,
// which must be within the last 30 days.
func (s *Server) handleFindByIP(rep *reply, req *request) {
	args, ok := parseFunctionArgs(req.m.arg)
	if !ok || args["ip"] == "" || args["timestamp"] == "" {
		rep.writeError(http.StatusBadRequest, "BadRequest", "Both 'ip' and 'timestamp' parameters are required, e.g. findbyip(ip='10.1.2.3',timestamp=2024-01-01T08:00:00Z).")
		return
	}
	ip := net.ParseIP(args["ip"])
	if ip == nil {
		rep.writeErrorf(http.StatusBadRequest, "InvalidIpAddress", "Invalid IP address: %s", args["ip"])
		return
	}
	ts, ok := parseODataDate(args["timestamp"])
	if !ok {
		rep.writeErrorf(http.StatusBadRequest, "InvalidInput", "Invalid timestamp: %s", args["timestamp"])
		return
	}
	now := s.now()
	if ts.Before(now.Add(-30 * 24 * time.Hour)) {
		rep.writeError(http.StatusBadRequest, "InvalidInput", "The timestamp must be within the last 30 days.")
		return
	}
	s.mu.Lock()
	var found []machineJSON
	for _, m := range s.machines {
		mip := net.ParseIP(m.LastIPAddress)
		if mip == nil || !mip.Equal(ip) {
			continue
		}
		end := m.LastSeen
		if m.HealthStatus == "Active" {
			end = now
		}
		if !ts.Before(m.FirstSeen.Add(-findByIPWindow)) && !ts.After(end.Add(findByIPWindow)) {
			found = append(found, m.toJSON())
		}
	}
	s.mu.Unlock()
	rep.writeOData(http.StatusOK, listBody[machineJSON]{Context: s.machineContext(false), Value: append([]machineJSON{}, found...)})
}

// handleFindByTag serves GET /api/machines/findbytag?tag=…&useStartsWithFilter=…:
// the machines with the tag (or, with useStartsWithFilter=true, a tag
// starting with it), compared ignoring case, paged with $top and $skip
// like the machine list. A missing tag or a useStartsWithFilter that is
// not a boolean is a 400.
func (s *Server) handleFindByTag(rep *reply, req *request) {
	q := req.r.URL.Query()
	tag := q.Get("tag")
	if tag == "" {
		rep.writeError(http.StatusBadRequest, "MissingRequiredParameter", "Parameter tag is missing")
		return
	}
	prefix := false
	if v := q.Get("useStartsWithFilter"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			rep.writeErrorf(http.StatusBadRequest, "InvalidInput", "Invalid value '%s' for useStartsWithFilter", v)
			return
		}
		prefix = b
	}
	oq, err := parseODataQuery(req.r.URL.RawQuery, machineSchema)
	if err != nil {
		rep.writeODataError(err.Error())
		return
	}
	s.mu.Lock()
	var found []machineView
	for _, m := range s.machines {
		for _, t := range m.MachineTags {
			if strings.EqualFold(t, tag) || prefix && len(t) >= len(tag) && strings.EqualFold(t[:len(tag)], tag) {
				found = append(found, machineView{*m})
				break
			}
		}
	}
	s.mu.Unlock()
	writeList(s, rep, req, oq, found, s.machineContext(false), func(v machineView) machineJSON { return v.m.toJSON() })
}

package defendertest

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// maxPage is MDE's page size limit and $top maximum.
const maxPage = 10000

// odataQuery is a validated set of OData system query options.
type odataQuery struct {
	filter    filterNode // nil: no $filter
	rawFilter string
	top       int
	hasTop    bool
	skip      int
}

// knownOptions are OData system query options MDE's OData layer knows but
// does not allow on these entity sets.
var knownOptions = map[string]bool{
	"$select": true, "$orderby": true, "$expand": true, "$count": true, "$search": true,
	"$format": true, "$skiptoken": true, "$apply": true, "$compute": true, "$deltatoken": true,
}

// parseODataQuery validates the $ options of a query string. On error it
// returns the message after "The query specified in the URI is not valid. ".
func parseODataQuery(rawQuery string, schema *entitySchema) (odataQuery, error) {
	var q odataQuery
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return q, &filterError{"The query string is not valid: " + err.Error() + "."}
	}
	for key, vs := range values {
		if !strings.HasPrefix(key, "$") {
			continue
		}
		switch key {
		case "$filter", "$top", "$skip":
		default:
			if knownOptions[strings.ToLower(key)] {
				return q, &filterError{"Query option '" + strings.TrimPrefix(key, "$") + "' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings."}
			}
			return q, &filterError{"Custom query option '" + key + "' that starts with '$' is not supported."}
		}
		if len(vs) > 1 {
			return q, &filterError{"Query option '" + key + "' was specified more than once, but it must be specified at most once."}
		}
	}
	if vs, ok := values["$top"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(vs[0]))
		if err != nil || n < 0 {
			return q, &filterError{"Invalid value '" + vs[0] + "' for $top query option found. The $top query option requires a non-negative integer value."}
		}
		if n > maxPage {
			return q, &filterError{"The limit of '" + strconv.Itoa(maxPage) + "' for Top query has been exceeded. The value from the incoming request is '" + vs[0] + "'."}
		}
		q.top, q.hasTop = n, true
	}
	if vs, ok := values["$skip"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(vs[0]))
		if err != nil || n < 0 {
			return q, &filterError{"Invalid value '" + vs[0] + "' for $skip query option found. The $skip query option requires a non-negative integer value."}
		}
		q.skip = n
	}
	if vs, ok := values["$filter"]; ok {
		q.rawFilter = vs[0]
		n, err := parseFilter(vs[0], schema)
		if err != nil {
			return q, err
		}
		q.filter = n
	}
	return q, nil
}

// apply filters items (in their stored order) and pages them. It returns
// the page and, when more than maxPage results remain and no $top was
// given, the $skip value of the next page.
func apply[T record](q odataQuery, items []T) (page []T, nextSkip int) {
	var matched []T
	for _, it := range items {
		if q.filter == nil || q.filter.eval(it, nil) {
			matched = append(matched, it)
		}
	}
	if q.skip >= len(matched) {
		return []T{}, 0
	}
	matched = matched[q.skip:]
	if q.hasTop {
		if q.top < len(matched) {
			matched = matched[:q.top]
		}
		return matched, 0
	}
	if len(matched) > maxPage {
		return matched[:maxPage], q.skip + maxPage
	}
	return matched, 0
}

// nextLink builds the @odata.nextLink of a list answer: the request's
// own parameters (findbytag's tag), its $filter and the next $skip.
func (s *Server) nextLink(path string, params url.Values, q odataQuery, skip int) string {
	v := url.Values{}
	for k, vs := range params {
		if !strings.HasPrefix(k, "$") {
			v[k] = vs
		}
	}
	if q.rawFilter != "" {
		v.Set("$filter", q.rawFilter)
	}
	v.Set("$skip", strconv.Itoa(skip))
	return s.URL() + path + "?" + v.Encode()
}

// listBody is an OData collection answer.
type listBody[T any] struct {
	Context  string `json:"@odata.context"`
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
}

// jsonNames returns the JSON property names of a struct value's fields.
func jsonNames(v any) map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// writeList answers a list request with the page of items q selects, each
// rendered by toJSON, under the @odata.context ctx, with a nextLink when q
// has no $top and more items remain.
func writeList[T record, J any](s *Server, rep *reply, req *request, q odataQuery, items []T, ctx string, toJSON func(T) J) {
	page, next := apply(q, items)
	body := listBody[J]{Context: ctx, Value: []J{}}
	for _, it := range page {
		body.Value = append(body.Value, toJSON(it))
	}
	if next > 0 {
		body.NextLink = s.nextLink(req.r.URL.Path, req.r.URL.Query(), q, next)
	}
	rep.writeOData(http.StatusOK, body)
}

package defender

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// MaxPageSize is the largest $top MDE accepts.
const MaxPageSize = 10000

// ListOptions controls paging of a list call.
type ListOptions struct {
	// PageSize is $top per call (default and maximum MaxPageSize).
	PageSize int
	// Limit stops after this many items; zero means all.
	Limit int
}

// maxPages bounds a listing, whatever the server's links say.
const maxPages = 1000

// listAll pages through an OData collection with $top/$skip. It stops on a
// short page, and follows @odata.nextLink only when it is present and sane
// (same scheme and host as the base URL, never seen before); otherwise it
// keeps paging with $skip.
func listAll[T any](ctx context.Context, c *Client, fam Family, path, filter string, opts ListOptions) ([]T, error) {
	var params url.Values
	if filter != "" {
		params = url.Values{"$filter": {filter}}
	}
	return listAllWith[T](ctx, c, fam, path, params, opts)
}

// listAllWith is listAll with the query parameters every page carries
// besides $top and $skip ($filter, or findbytag's tag).
func listAllWith[T any](ctx context.Context, c *Client, fam Family, path string, params url.Values, opts ListOptions) ([]T, error) {
	top := opts.PageSize
	if top <= 0 || top > MaxPageSize {
		top = MaxPageSize
	}
	if opts.Limit > 0 && opts.Limit < top {
		top = opts.Limit
	}
	var all []T
	seen := map[string]bool{}
	next := ""
	for page := 0; page < maxPages; page++ {
		req := request{family: fam, method: "GET", path: path}
		if next != "" {
			req.path = next
		} else {
			q := url.Values{"$top": {strconv.Itoa(top)}}
			for k, v := range params {
				q[k] = v
			}
			if len(all) > 0 {
				q.Set("$skip", strconv.Itoa(len(all)))
			}
			req.query = q
		}
		var list odataList[T]
		if _, err := c.do(ctx, req, &list); err != nil {
			return all, err
		}
		all = append(all, list.Value...)
		if opts.Limit > 0 && len(all) >= opts.Limit {
			return all[:opts.Limit], nil
		}
		next = ""
		if list.NextLink != "" && c.saneNextLink(list.NextLink, seen) {
			seen[list.NextLink] = true
			next = list.NextLink
			continue
		}
		if len(list.Value) < top {
			return all, nil
		}
	}
	return all, fmt.Errorf("defender: listing %s: gave up after %d pages", path, maxPages)
}

// saneNextLink reports whether a server-sent next link may be followed.
func (c *Client) saneNextLink(link string, seen map[string]bool) bool {
	if seen[link] {
		return false
	}
	u, err := url.Parse(link)
	if err != nil || u.User != nil {
		return false
	}
	return u.Scheme == c.baseURL.Scheme && u.Host == c.baseURL.Host
}

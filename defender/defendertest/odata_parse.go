package defendertest

import (
	"strings"
	"time"
)

// fieldKind is the EDM type of a filterable property.
type fieldKind int

const (
	kString fieldKind = iota
	kNumber
	kDate
	kBool
	kStringList
	kNumberList
)

func (k fieldKind) edm() string {
	switch k {
	case kNumber:
		return "Edm.Int64"
	case kDate:
		return "Edm.DateTimeOffset"
	case kBool:
		return "Edm.Boolean"
	case kStringList:
		return "Collection(Edm.String)"
	case kNumberList:
		return "Collection(Edm.Int64)"
	}
	return "Edm.String"
}

// entitySchema describes what $filter may reference on one entity set.
type entitySchema struct {
	typeName   string
	filterable map[string]fieldKind
	properties map[string]bool // every property of the entity
}

// record is an entity as the filter sees it: a property value is a
// string, float64, time.Time, bool, []string, []float64 or nil.
type record interface {
	field(name string) any
}

// filterNode is a parsed $filter expression.
type filterNode interface {
	eval(r record, vars map[string]any) bool
}

type (
	orNode  struct{ l, r filterNode }
	andNode struct{ l, r filterNode }
	notNode struct{ x filterNode }
	cmpNode struct {
		field string // property name, or a lambda variable
		op    string
		lit   token
	}
	startsNode struct {
		field  string
		prefix string
	}
	anyNode struct {
		field string
		v     string
		body  filterNode
	}
)

func (n orNode) eval(r record, v map[string]any) bool  { return n.l.eval(r, v) || n.r.eval(r, v) }
func (n andNode) eval(r record, v map[string]any) bool { return n.l.eval(r, v) && n.r.eval(r, v) }
func (n notNode) eval(r record, v map[string]any) bool { return !n.x.eval(r, v) }

func lookup(r record, vars map[string]any, name string) any {
	if v, ok := vars[name]; ok {
		return v
	}
	return r.field(name)
}

func (n startsNode) eval(r record, v map[string]any) bool {
	s, ok := lookup(r, v, n.field).(string)
	return ok && strings.HasPrefix(s, n.prefix)
}

func (n anyNode) eval(r record, v map[string]any) bool {
	var items []any
	switch xs := r.field(n.field).(type) {
	case []string:
		for _, x := range xs {
			items = append(items, x)
		}
	case []float64:
		for _, x := range xs {
			items = append(items, x)
		}
	}
	for _, it := range items {
		inner := map[string]any{n.v: it}
		for k, val := range v {
			if k != n.v {
				inner[k] = val
			}
		}
		if n.body.eval(r, inner) {
			return true
		}
	}
	return false
}

func (n cmpNode) eval(r record, v map[string]any) bool {
	val := lookup(r, v, n.field)
	if n.lit.kind == tIdent && n.lit.text == "null" {
		isNull := val == nil || val == ""
		if s, ok := val.(string); ok && s != "" {
			isNull = false
		}
		if n.op == "eq" {
			return isNull
		}
		return !isNull
	}
	var c int
	switch x := val.(type) {
	case string:
		c = strings.Compare(x, n.lit.text)
	case float64:
		switch {
		case x < n.lit.num:
			c = -1
		case x > n.lit.num:
			c = 1
		}
	case time.Time:
		c = x.Compare(n.lit.date)
	case bool:
		want := n.lit.text == "true"
		if x == want {
			c = 0
		} else {
			c = 1
		}
		if n.op != "eq" && n.op != "ne" {
			return false
		}
	case nil:
		return n.op == "ne"
	default:
		return false
	}
	switch n.op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

var opNames = map[string]string{"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual"}

// parser is a recursive-descent parser over the tokens of one $filter.
type parser struct {
	src    string
	toks   []token
	i      int
	schema *entitySchema
	vars   map[string]fieldKind // lambda variables in scope
}

// parseFilter parses and validates src against schema.
func parseFilter(src string, schema *entitySchema) (filterNode, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return nil, &filterError{"Expression expected at position 0 in '" + src + "'."}
	}
	p := &parser{src: src, toks: toks, schema: schema, vars: map[string]fieldKind{}}
	n, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, syntaxError(p.peek().pos, src)
	}
	return n, nil
}

const maxFilterDepth = 100

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(w string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == w
}

func (p *parser) expect(k tokKind) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, syntaxError(t.pos, p.src)
	}
	return t, nil
}

func (p *parser) tooDeep(depth int) error {
	if depth > maxFilterDepth {
		return &filterError{"The node count limit of '100' has been exceeded. To increase the limit, set the 'MaxNodeCount' property on EnableQueryAttribute or ODataValidationSettings."}
	}
	return nil
}

func (p *parser) parseOr(depth int) (filterNode, error) {
	if err := p.tooDeep(depth); err != nil {
		return nil, err
	}
	l, err := p.parseAnd(depth + 1)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		r, err := p.parseAnd(depth + 1)
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) parseAnd(depth int) (filterNode, error) {
	l, err := p.parseUnary(depth + 1)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		r, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) parseUnary(depth int) (filterNode, error) {
	if err := p.tooDeep(depth); err != nil {
		return nil, err
	}
	if p.isKeyword("not") {
		p.next()
		// not binds tighter than eq: "not status eq 'x'" negates the
		// property, which only a Boolean property allows.
		if t := p.peek(); t.kind == tIdent && t.text != "not" && p.toks[p.i+1].kind != tLParen {
			if kind, err := p.property(t); err == nil && kind != kBool && p.toks[p.i+1].kind != tSlash {
				return nil, &filterError{"A unary operator with an incompatible type was detected. Found operand type '" + kind.edm() + "' for operator kind 'Not'."}
			}
		}
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.parsePrimary(depth + 1)
}

func (p *parser) parsePrimary(depth int) (filterNode, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		n, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	case tIdent:
	case tEOF:
		return nil, &filterError{"Expression expected at position " + itoa(int64(t.pos)) + " in '" + p.src + "'."}
	default:
		return nil, syntaxError(t.pos, p.src)
	}
	if p.peek().kind == tLParen {
		return p.parseFunction(t)
	}
	kind, err := p.property(t)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tSlash {
		return p.parseAny(t, kind, depth)
	}
	return p.parseComparison(t, kind)
}

// property resolves an identifier to a lambda variable or a filterable
// property of the entity.
func (p *parser) property(t token) (fieldKind, error) {
	if k, ok := p.vars[t.text]; ok {
		return k, nil
	}
	if k, ok := p.schema.filterable[t.text]; ok {
		return k, nil
	}
	if p.schema.properties[t.text] {
		return 0, &filterError{"The property '" + t.text + "' cannot be used in the $filter query option."}
	}
	return 0, &filterError{"Could not find a property named '" + t.text + "' on type '" + p.schema.typeName + "'."}
}

func (p *parser) parseFunction(name token) (filterNode, error) {
	switch name.text {
	case "startswith":
	case "endswith", "contains", "substringof", "tolower", "toupper", "trim", "length", "indexof", "substring", "concat", "year", "month", "day", "hour", "minute", "second", "date", "time", "round", "floor", "ceiling", "cast", "isof":
		return nil, &filterError{"Function '" + name.text + "' is not allowed. To allow it, set the 'AllowedFunctions' property on EnableQueryAttribute or QueryValidationSettings."}
	default:
		return nil, &filterError{"An unknown function with name '" + name.text + "' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed."}
	}
	p.next() // (
	f, err := p.expect(tIdent)
	if err != nil {
		return nil, err
	}
	kind, err := p.property(f)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma); err != nil {
		return nil, err
	}
	lit := p.next()
	if lit.kind != tString {
		if lit.kind == tEOF || lit.kind == tRParen {
			return nil, syntaxError(lit.pos, p.src)
		}
		return nil, &filterError{"No function signature for the function with name 'startswith' matches the specified arguments. The function signatures considered are: startswith(Edm.String Nullable=true, Edm.String Nullable=true)."}
	}
	if kind != kString {
		return nil, &filterError{"No function signature for the function with name 'startswith' matches the specified arguments. The function signatures considered are: startswith(Edm.String Nullable=true, Edm.String Nullable=true)."}
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	// startswith(...) eq true is accepted too.
	if p.isKeyword("eq") || p.isKeyword("ne") {
		op := p.next().text
		b := p.next()
		if b.kind != tIdent || (b.text != "true" && b.text != "false") {
			return nil, syntaxError(b.pos, p.src)
		}
		var n filterNode = startsNode{f.text, lit.text}
		if (op == "eq") != (b.text == "true") {
			n = notNode{n}
		}
		return n, nil
	}
	return startsNode{f.text, lit.text}, nil
}

func (p *parser) parseAny(field token, kind fieldKind, depth int) (filterNode, error) {
	p.next() // /
	fn, err := p.expect(tIdent)
	if err != nil {
		return nil, err
	}
	if fn.text != "any" && fn.text != "all" {
		return nil, &filterError{"Could not find a property named '" + fn.text + "' on type '" + kind.edm() + "'."}
	}
	if fn.text == "all" {
		return nil, &filterError{"The 'all' lambda operator is not allowed. To allow it, set the 'AllowedFunctions' property on EnableQueryAttribute or QueryValidationSettings."}
	}
	if kind != kStringList && kind != kNumberList {
		return nil, &filterError{"The parent value for a property access of a property 'any' is not a single value. Property access can only be applied to a single value."}
	}
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	v, err := p.expect(tIdent)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tColon); err != nil {
		return nil, err
	}
	if _, clash := p.vars[v.text]; clash {
		return nil, &filterError{"The range variable '" + v.text + "' has already been declared."}
	}
	elem := kString
	if kind == kNumberList {
		elem = kNumber
	}
	p.vars[v.text] = elem
	body, err := p.parseOr(depth + 1)
	delete(p.vars, v.text)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return anyNode{field: field.text, v: v.text, body: body}, nil
}

func (p *parser) parseComparison(field token, kind fieldKind) (filterNode, error) {
	opTok := p.next()
	op := opTok.text
	if opTok.kind != tIdent || opNames[op] == "" {
		return nil, syntaxError(opTok.pos, p.src)
	}
	lit := p.next()
	var litKind fieldKind
	switch lit.kind {
	case tString:
		litKind = kString
	case tNumber:
		litKind = kNumber
	case tDate:
		litKind = kDate
	case tIdent:
		switch lit.text {
		case "null":
			if op != "eq" && op != "ne" {
				return nil, &filterError{"A binary operator with incompatible types was detected. Found operand types '" + kind.edm() + "' and '<null>' for operator kind '" + opNames[op] + "'."}
			}
			return cmpNode{field.text, op, lit}, nil
		case "true", "false":
			litKind = kBool
		default:
			return nil, &filterError{"A binary operator with incompatible types was detected. Found operand types '" + kind.edm() + "' and '" + lit.text + "' for operator kind '" + opNames[op] + "'."}
		}
	default:
		if lit.kind == tEOF {
			return nil, &filterError{"Expression expected at position " + itoa(int64(lit.pos)) + " in '" + p.src + "'."}
		}
		return nil, syntaxError(lit.pos, p.src)
	}
	if litKind != kind {
		return nil, &filterError{"A binary operator with incompatible types was detected. Found operand types '" + kind.edm() + "' and '" + litKind.edm() + "' for operator kind '" + opNames[op] + "'."}
	}
	return cmpNode{field.text, op, lit}, nil
}

package site

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"html/template"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
)

// The generator of pages_gen.go. It compiles the embedded card.html, and
// base.html with list.html and with post.html, into Go functions that write
// the same bytes as html/template does, from the templates themselves: so
// the templates stay the one source of the pages, and the renderers cost a
// few µs a page instead of html/template's reflection walk (render.go,
// "generated").
//
// It lets html/template escape the templates first and compiles the escaped
// parse trees, in which every action already names the escapers its
// context needs (`{{.Href | _html_template_urlfilter |
// _html_template_urlnormalizer | _html_template_attrescaper}}`); each
// escaper becomes a call to its copy in escape.go, chosen by the Go type of
// the value as html/template chooses by content type. Types come from
// reflection on the data the templates get (*page, *postView). Whatever the
// generator does not know — an escaper or content type without a copy, a
// function other than printf, a method call — is an error here, not a
// different page: TestGenerated fails and the template stays on
// html/template until the generator learns it.
//
// No library compiles html/template templates to Go (templ and
// quicktemplate have template languages of their own, which the user's
// template overrides could not share), hence this one.

var update = flag.Bool("update", false, "rewrite pages_gen.go from the templates (go generate)")

// TestGenerated fails when pages_gen.go is not what the generator makes of
// the embedded templates now (a template was changed without `go generate
// ./internal/output/site`); with -update it rewrites the file.
func TestGenerated(t *testing.T) {
	src, err := generatePages()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("pages_gen.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile("pages_gen.go")
	if err != nil || !bytes.Equal(old, src) {
		t.Fatalf("pages_gen.go is not generated from the current templates (%v): run go generate ./internal/output/site", err)
	}
}

// The generator refuses what it cannot compile exactly.
func TestGeneratorRefuses(t *testing.T) {
	for _, src := range []string{
		`{{define "card"}}<a onclick="f({{.Title}})">x</a>{{end}}`,        // a JS context
		`{{define "card"}}<style>p{color:{{.Title}}}</style>{{end}}`,      // CSS
		`{{define "card"}}<a title="{{.CatLinks}}">x</a>{{end}}`,          // template.HTML in an attribute
		`{{define "card"}}{{len .Title}}{{end}}`,                          // a function other than printf
		`{{define "card"}}{{.Missing}}{{end}}`,                            // no such field
		`{{define "card"}}{{$x := .Title}}{{$x}}{{end}}`,                  // a variable declared in an action
		`{{define "card"}}<a href="?q={{.Title}}">x</a>{{end}}`,           // a URL query part
		`{{define "card"}}{{range .Cats}}{{break}}{{end}}{{end}}`,         // break
		`{{define "card"}}{{template "other" .}}{{end}}`,                  // an undefined template
		`{{define "card"}}{{template "x" .}}{{end}}{{define "x"}}{{end}}`, // a call of another template
		`{{define "card"}}{{.Title | printf "%s"}}{{end}}`,                // a function in a later command
		`{{define "card"}}{{with .Newer}}{{.Name.X}}{{end}}{{end}}`,       // a field of a string
		`{{define "card"}}<img srcset="{{.Title}}">{{end}}`,               // srcset
		`{{define "card"}}<!-- {{.Title}} -->{{end}}`,                     // a comment (html/template drops it)
		`{{define "card"}}<a {{.Title}}="x">{{end}}`,                      // an attribute name
		`{{define "card"}}<p title={{.Title}}>x</p>{{end}}`,               // an unquoted attribute
		`{{define "card"}}<textarea>{{.CatLinks}}</textarea>{{end}}`,      // template.HTML in RCDATA
		`{{define "card"}}{{printf "%d" .Newer}}{{end}}`,                  // printf of a pointer
		`{{define "card"}}{{if .Title}}{{.Title}}{{else}}{{end}}{{end}}`,  // fine: the control
	} {
		tpl, err := template.New("").Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		card := tpl.Lookup("card")
		_, err = compileTemplate(card, nil, "genCard", reflect.TypeFor[*postView](), "")
		last := strings.Contains(src, "{{else}}")
		if last && err != nil {
			t.Errorf("%s: %v", src, err)
		} else if !last && err == nil {
			t.Errorf("%s: compiled", src)
		}
	}
}

// genFunc is one generated function.
type genFunc struct {
	name, code string
	imports    []string // the packages it uses
}

// generatePages returns pages_gen.go for the embedded templates.
func generatePages() ([]byte, error) {
	tpls, err := loadTemplates("", false)
	if err != nil {
		return nil, err
	}
	pageType := reflect.TypeFor[*page]()
	card, err := compileTemplate(tpls.card, tpls.card, "genCard", reflect.TypeFor[*postView](), "")
	if err != nil {
		return nil, fmt.Errorf("card.html: %w", err)
	}
	funcs := []genFunc{card}
	var base *genFunc
	for _, set := range []struct {
		name string
		tpl  *template.Template
	}{{"List", tpls.list}, {"Post", tpls.post}} {
		lower := strings.ToLower(set.name)
		b, err := compileTemplate(set.tpl, set.tpl, "genBase", pageType, "content")
		if err != nil {
			return nil, fmt.Errorf("base.html with %s.html: %w", lower, err)
		}
		// One genBase serves both pages: their "content" is its parameter.
		if base == nil {
			base = &b
			funcs = append(funcs, b)
		} else if b.code != base.code {
			return nil, errors.New("base.html compiles differently with list.html and with post.html")
		}
		content := set.tpl.Lookup("content")
		if content == nil {
			return nil, fmt.Errorf("%s.html defines no \"content\"", lower)
		}
		c, err := compileTemplate(content, set.tpl, "gen"+set.name+"Content", pageType, "")
		if err != nil {
			return nil, fmt.Errorf("%s.html: %w", lower, err)
		}
		funcs = append(funcs, c, genFunc{name: "gen" + set.name + "Page", code: fmt.Sprintf(
			"// gen%[1]sPage writes base.html with %[2]s.html's \"content\" for p.\nfunc gen%[1]sPage(buf *bytes.Buffer, p *page) { genBase(buf, p, gen%[1]sContent) }\n",
			set.name, lower)})
	}
	imports := map[string]bool{"bytes": true}
	for _, f := range funcs {
		for _, imp := range f.imports {
			imports[imp] = true
		}
	}

	var out bytes.Buffer
	out.WriteString("// Code generated by TestGenerated (gen_test.go) from templates/base.html, card.html, list.html and post.html. DO NOT EDIT.\n\n")
	out.WriteString("package site\n\nimport (\n")
	for _, imp := range slices.Sorted(maps.Keys(imports)) {
		fmt.Fprintf(&out, "%q\n", imp)
	}
	out.WriteString(")\n\n")
	out.WriteString("func init() {\n\tgenerated = &genRenderers{\n\t\tsums: map[string]string{\n")
	for _, name := range generatedFiles {
		src, err := embedded.ReadFile("templates/" + name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&out, "\t\t\t%q: %q,\n", name, sourceSum(string(src)))
	}
	out.WriteString("\t\t},\n\t\tcard: genCard, listPage: genListPage, postPage: genPostPage,\n\t}\n}\n\n")
	for _, f := range funcs {
		out.WriteString(f.code)
		out.WriteString("\n")
	}
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generated code does not parse: %w\n%s", err, out.Bytes())
	}
	return src, nil
}

// compileTemplate compiles t (of set) into a function name(buf, dot). hole
// names the one template t may call: it is not compiled but passed in as a
// parameter "content" of the same type as dot (the page templates'
// "content", which each page defines).
func compileTemplate(t, set *template.Template, name string, dot reflect.Type, hole string) (genFunc, error) {
	if set == nil {
		set = t
	}
	// Escaping happens on the first Execute; a zero value of the data is
	// enough (errors of the execution itself do not matter here, escaping
	// errors do).
	if err := t.Execute(io.Discard, reflect.New(dot.Elem()).Interface()); err != nil {
		var escErr *template.Error
		if errors.As(err, &escErr) {
			return genFunc{}, err
		}
	}
	c := &compiler{set: set, hole: hole, imports: map[string]bool{}}
	return c.function(t.Name(), name, dot)
}

// compiler turns escaped parse trees into Go.
type compiler struct {
	set     *template.Template
	hole    string
	imports map[string]bool // the packages the code uses

	// Per function:
	b       *bytes.Buffer
	vars    []*genVar // in scope, innermost last; vars[0] is $
	fresh   int
	hasHole bool // the function calls its content parameter
	err     error
}

// genVar is a template variable ($, $i, …) or a dot, as a Go variable.
type genVar struct {
	name string // "$", "$i", "" for a dot
	expr string
	typ  reflect.Type
	used bool
}

// value is a Go expression and its type.
type value struct {
	expr string
	typ  reflect.Type
}

var (
	htmlType = reflect.TypeFor[template.HTML]()
	urlType  = reflect.TypeFor[template.URL]()
)

func (c *compiler) fail(n parse.Node, format string, args ...any) {
	if c.err == nil {
		at := ""
		if n != nil {
			at = fmt.Sprintf(" at %q", n.String())
		}
		c.err = fmt.Errorf("cannot compile%s: %s", at, fmt.Sprintf(format, args...))
	}
}

func (c *compiler) printf(format string, args ...any) { fmt.Fprintf(c.b, format, args...) }

// function compiles template tmpl into function fn with a dot of type dot.
func (c *compiler) function(tmpl, fn string, dot reflect.Type) (genFunc, error) {
	t := c.set.Lookup(tmpl)
	if t == nil || t.Tree == nil {
		return genFunc{}, fmt.Errorf("no template %q", tmpl)
	}
	c.b, c.fresh, c.hasHole, c.err = new(bytes.Buffer), 0, false, nil
	arg := "p"
	if dot != reflect.TypeFor[*page]() {
		arg = "v"
	}
	top := &genVar{name: "$", expr: arg, typ: dot}
	c.vars = []*genVar{top}
	c.list(t.Tree.Root, top)
	if c.err != nil {
		return genFunc{}, c.err
	}
	params := fmt.Sprintf("buf *bytes.Buffer, %s %s", arg, goType(dot))
	if c.hasHole {
		params += fmt.Sprintf(", content func(*bytes.Buffer, %s)", goType(dot))
	}
	var f bytes.Buffer
	fmt.Fprintf(&f, "// %s writes the template %q for %s.\nfunc %s(%s) {\n", fn, tmpl, arg, fn, params)
	f.Write(c.b.Bytes())
	f.WriteString("}\n")
	return genFunc{name: fn, code: f.String(), imports: slices.Sorted(maps.Keys(c.imports))}, nil
}

// goType is t as Go code in package site.
func goType(t reflect.Type) string {
	return strings.ReplaceAll(t.String(), "site.", "")
}

func (c *compiler) list(l *parse.ListNode, dot *genVar) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot)
	}
}

func (c *compiler) node(n parse.Node, dot *genVar) {
	if c.err != nil {
		return
	}
	if _, isRange := n.(*parse.RangeNode); !isRange {
		if p := pipeOf(n); p != nil && len(p.Decl) > 0 {
			c.fail(n, "variables are declared only by range")
			return
		}
	}
	switch n := n.(type) {
	case *parse.TextNode:
		if len(n.Text) > 0 {
			c.printf("buf.WriteString(%s)\n", strconv.Quote(string(n.Text)))
		}
	case *parse.CommentNode:
	case *parse.ActionNode:
		v := c.pipe(n.Pipe, dot)
		if c.err == nil && v.typ.Kind() != reflect.String {
			c.fail(n, "the value is not escaped to a string")
		}
		c.printf("buf.WriteString(%s)\n", v.expr)
	case *parse.IfNode:
		v := c.pipe(n.Pipe, dot)
		c.printf("if %s {\n", truth(v))
		c.list(n.List, dot)
		c.elseList(n.ElseList, dot)
	case *parse.WithNode:
		v := c.pipe(n.Pipe, dot)
		x := c.name()
		inner := &genVar{expr: x, typ: v.typ}
		c.printf("if %s := %s; %s {\n", x, v.expr, truth(value{x, v.typ}))
		c.list(n.List, inner)
		c.elseList(n.ElseList, dot)
	case *parse.RangeNode:
		c.rangeNode(n, dot)
	case *parse.TemplateNode:
		c.call(n, dot)
	default:
		c.fail(n, "unsupported %T", n)
	}
}

// pipeOf is the pipeline of n, nil for none.
func pipeOf(n parse.Node) *parse.PipeNode {
	switch n := n.(type) {
	case *parse.ActionNode:
		return n.Pipe
	case *parse.IfNode:
		return n.Pipe
	case *parse.WithNode:
		return n.Pipe
	case *parse.TemplateNode:
		return n.Pipe
	}
	return nil
}

func (c *compiler) elseList(l *parse.ListNode, dot *genVar) {
	if l != nil && len(l.Nodes) > 0 {
		c.printf("} else {\n")
		c.list(l, dot)
	}
	c.printf("}\n")
}

func (c *compiler) name() string {
	c.fresh++
	return "v" + strconv.Itoa(c.fresh)
}

func (c *compiler) rangeNode(n *parse.RangeNode, dot *genVar) {
	v := c.pipe(n.Pipe, dot)
	if c.err != nil {
		return
	}
	if v.typ.Kind() != reflect.Slice {
		c.fail(n, "range over %s, not a slice", v.typ)
		return
	}
	s, i, x := c.name(), c.name(), c.name()
	elemType, elemExpr := v.typ.Elem(), s+"["+i+"]"
	if elemType.Kind() == reflect.Struct { // no copy per element
		elemType, elemExpr = reflect.PointerTo(elemType), "&"+elemExpr
	}
	elem := &genVar{expr: x, typ: elemType}
	index := &genVar{expr: i, typ: reflect.TypeFor[int]()}
	scope := len(c.vars)
	switch len(n.Pipe.Decl) {
	case 0:
	case 1:
		c.vars = append(c.vars, &genVar{name: n.Pipe.Decl[0].Ident[0], expr: x, typ: elemType})
	case 2:
		c.vars = append(c.vars, &genVar{name: n.Pipe.Decl[0].Ident[0], expr: i, typ: index.typ},
			&genVar{name: n.Pipe.Decl[1].Ident[0], expr: x, typ: elemType})
	}
	outer := c.b
	c.b = new(bytes.Buffer)
	c.list(n.List, elem)
	body := c.b
	c.b = outer
	xUsed, iUsed := elem.used, false
	for _, d := range c.vars[scope:] {
		if d.used && d.expr == x {
			xUsed = true
		}
		if d.used && d.expr == i {
			iUsed = true
		}
	}
	c.vars = c.vars[:scope]
	c.printf("{\n%s := %s\n", s, v.expr)
	switch {
	case xUsed:
		c.printf("for %s := range %s {\n%s := %s\n", i, s, x, elemExpr)
	case iUsed:
		c.printf("for %s := range %s {\n", i, s)
	default:
		c.printf("for range %s {\n", s)
	}
	c.b.Write(body.Bytes())
	c.printf("}\n")
	if n.ElseList != nil && len(n.ElseList.Nodes) > 0 {
		c.printf("if len(%s) == 0 {\n", s)
		c.list(n.ElseList, dot)
		c.printf("}\n")
	}
	c.printf("}\n")
}

// call compiles {{template "name" pipeline}}.
func (c *compiler) call(n *parse.TemplateNode, dot *genVar) {
	if n.Pipe == nil {
		c.fail(n, "a template called without data")
		return
	}
	v := c.pipe(n.Pipe, dot)
	if c.err != nil {
		return
	}
	if n.Name == c.hole {
		if v.typ != reflect.TypeFor[*page]() {
			c.fail(n, "%q takes a *page", c.hole)
			return
		}
		c.printf("content(buf, %s)\n", v.expr)
		c.hasHole = true
		return
	}
	// The embedded templates call no other: teach the generator when one
	// does.
	c.fail(n, "a call of a template other than %q", c.hole)
}

// pipe compiles a pipeline: a value, then (in actions) the escapers
// html/template added. Its variables, which only range binds, are the
// caller's (rangeNode).
func (c *compiler) pipe(p *parse.PipeNode, dot *genVar) value {
	if c.err != nil {
		return value{`""`, reflect.TypeFor[string]()}
	}
	v := c.command(p.Cmds[0], dot)
	for _, cmd := range p.Cmds[1:] {
		id, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok || len(cmd.Args) != 1 {
			c.fail(cmd, "only escapers may follow the first command")
			return v
		}
		v = c.escape(cmd, id.Ident, v)
	}
	return v
}

// command compiles the first command of a pipeline.
func (c *compiler) command(cmd *parse.CommandNode, dot *genVar) value {
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		if id.Ident != "printf" || len(cmd.Args) < 2 {
			c.fail(cmd, "function %s", id.Ident)
			return value{"", reflect.TypeFor[string]()}
		}
		args := make([]string, 0, len(cmd.Args)-1)
		for i, a := range cmd.Args[1:] {
			v := c.operand(a, dot)
			k := v.typ.Kind()
			switch {
			case i == 0 && k != reflect.String:
				c.fail(cmd, "printf's format is not a string")
			case k != reflect.String && k != reflect.Int:
				c.fail(cmd, "printf of a %s", v.typ)
			}
			args = append(args, v.expr)
		}
		c.imports["fmt"] = true
		return value{"fmt.Sprintf(" + strings.Join(args, ", ") + ")", reflect.TypeFor[string]()}
	}
	if len(cmd.Args) != 1 {
		c.fail(cmd, "arguments to a value")
	}
	return c.operand(cmd.Args[0], dot)
}

func (c *compiler) operand(n parse.Node, dot *genVar) value {
	switch n := n.(type) {
	case *parse.DotNode:
		dot.used = true
		return value{dot.expr, dot.typ}
	case *parse.FieldNode:
		dot.used = true
		return c.fields(n, value{dot.expr, dot.typ}, n.Ident)
	case *parse.VariableNode:
		for i := len(c.vars) - 1; i >= 0; i-- {
			if v := c.vars[i]; v.name == n.Ident[0] {
				v.used = true
				return c.fields(n, value{v.expr, v.typ}, n.Ident[1:])
			}
		}
		c.fail(n, "undefined variable %s", n.Ident[0])
	case *parse.StringNode:
		return value{strconv.Quote(n.Text), reflect.TypeFor[string]()}
	default:
		c.fail(n, "unsupported operand %T", n)
	}
	return value{`""`, reflect.TypeFor[string]()}
}

// fields follows .A.B from v.
func (c *compiler) fields(n parse.Node, v value, names []string) value {
	for _, name := range names {
		t := v.typ
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			c.fail(n, "field %s of %s", name, v.typ)
			return v
		}
		f, ok := t.FieldByName(name)
		if !ok || !f.IsExported() {
			c.fail(n, "%s has no field %s", v.typ, name)
			return v
		}
		v = value{v.expr + "." + name, f.Type}
	}
	return v
}

// escape applies one html/template escaper to v, as html/template does for
// v's content type, through its copy in escape.go.
func (c *compiler) escape(n parse.Node, escaper string, v value) value {
	str := func(expr string) value { return value{expr, reflect.TypeFor[string]()} }
	plain := v.expr // v as a string
	if v.typ != reflect.TypeFor[string]() {
		plain = "string(" + v.expr + ")"
	}
	isInt := v.typ.Kind() == reflect.Int
	isText := v.typ.Kind() == reflect.String && v.typ != htmlType &&
		(v.typ.PkgPath() == "" || v.typ == urlType) // string, template.URL
	switch escaper {
	case "_html_template_htmlescaper", "_html_template_rcdataescaper", "_html_template_attrescaper":
		switch {
		case v.typ == htmlType && escaper == "_html_template_htmlescaper":
			return str(plain) // trusted HTML in element text: as it is
		case isInt:
			c.imports["strconv"] = true
			return str("strconv.Itoa(" + v.expr + ")") // digits and '-': nothing to escape
		case isText:
			return str("attrEscape(" + plain + ")")
		}
	case "_html_template_urlfilter":
		switch {
		case v.typ == urlType:
			return str(plain) // trusted URL: not filtered
		case isText:
			return str("filterURL(" + plain + ")")
		}
	case "_html_template_urlnormalizer":
		if isText {
			return str("normalizeURL(" + plain + ")")
		}
	}
	c.fail(n, "no copy of html/template's %s for a %s", escaper, v.typ)
	return v
}

// truth is text/template's truth of v as a Go condition.
func truth(v value) string {
	switch v.typ.Kind() {
	case reflect.Bool:
		return v.expr
	case reflect.String:
		return v.expr + ` != ""`
	case reflect.Int:
		return v.expr + " != 0"
	case reflect.Slice, reflect.Map:
		return "len(" + v.expr + ") > 0"
	case reflect.Pointer, reflect.Interface, reflect.Func:
		return v.expr + " != nil"
	}
	return "true" // a struct
}

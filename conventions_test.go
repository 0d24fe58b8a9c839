package mdebot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// logMethods are the slog.Logger methods whose arguments are key-value
// pairs (and slog's attribute constructors, whose first argument is a key).
var logMethods = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "Log": true, "With": true,
	"DebugContext": true, "InfoContext": true, "WarnContext": true, "ErrorContext": true,
	"Any": true, "String": true,
}

// TestLogConventions keeps two of the code's conventions: a logged error's
// key is "error" (never "err"), and a discarding logger is
// slog.New(slog.DiscardHandler), not a handler writing to io.Discard.
func TestLogConventions(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, p := range logConventionProblems(fset, f) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// logConventionProblems lists where f breaks the log conventions.
func logConventionProblems(fset *token.FileSet, f *ast.File) []string {
	var problems []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		switch name := sel.Sel.Name; {
		case logMethods[name]:
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, _ := strconv.Unquote(lit.Value); s == "err" {
						problems = append(problems, fset.Position(lit.Pos()).String()+`: log key "err": use "error"`)
					}
				}
			}
		case name == "NewTextHandler" || name == "NewJSONHandler":
			if len(call.Args) > 0 && isSelector(call.Args[0], "io", "Discard") {
				problems = append(problems, fset.Position(call.Pos()).String()+": a handler writing to io.Discard: use slog.New(slog.DiscardHandler)")
			}
		}
		return true
	})
	return problems
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg && sel.Sel.Name == name
}

func TestLogConventionProblemsFindsBothMistakes(t *testing.T) {
	const src = `package p
func f() {
	log.Warn("x", "err", err)
	log.With("component", "a").ErrorContext(ctx, "y", slog.Any("err", err))
	log.Info("fine", "error", err, "detail", "err is a word")
	_ = slog.New(slog.NewTextHandler(io.Discard, nil))
	_ = slog.New(slog.NewJSONHandler(os.Stderr, nil))
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := logConventionProblems(fset, f)
	if len(got) != 3 {
		t.Errorf("problems = %q, want the two \"err\" keys and the io.Discard handler", got)
	}
}

// TestOnlyTheWiringImportsBot keeps bot, the Slack adapter, at the top of
// the graph: only cmd and playground, which wire it, import it. (metrics
// imported it once for nothing but an interface assertion.)
func TestOnlyTheWiringImportsBot(t *testing.T) {
	const bot = "github.com/mdebot/mdebot/bot"
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		slash := filepath.ToSlash(path)
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" ||
			slash == "bot" || slash == "cmd" || slash == "playground") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == bot {
				t.Errorf("%s imports %s: only cmd and playground may", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

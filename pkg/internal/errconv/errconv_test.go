package errconv

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// wrapped lists the functions whose errors are not prefixed where they are
// made, because every caller in the same package wraps them with context
// that carries the prefix ("sweep: grid.txt:3: seed: " + the helper's
// text): prefixing them too would print it twice. Keys are
// "<dir>.<func>" or "<dir>.<Type>.<method>"; a "<dir>" key covers a whole
// package.
var wrapped = map[string]string{
	"arrowio/internal/ipccheck":   "arrowio wraps every error of its IPC checks with the input's name",
	"arrowio.Meta.keysValues":     "schemaOf returns it to Create, which names the output",
	"arrowio.schemaOf":            "Create wraps it with the output's name",
	"arrowio.Column.arrowType":    "schemaOf returns it to Create, which names the output",
	"arrowio.NetworkReader.build": "NetworkReader.Next wraps it with the file and the snapshot's epoch",
	"arrowio.inferArch":           "NetworkReader.build returns it to Next, which names the file and epoch",
	"arrowio.Writer.columnArray":  "WriteColumns wraps it with the output and column",
	"arrowio.goSlice":             "columnArray returns it to WriteColumns, which names the output and column",
	"arrowio.Writer.bitArray":     "columnArray returns it to WriteColumns, which names the output and column",
	"arrowio.checkWords":          "columnArray returns it (through wordsArray or expandBits) to WriteColumns, which names the output and column",
	"arrowio.safeRecord":          "a recovered Arrow panic, wrapped by Reader.Next with the file",
	"arrowio.catch":               "a recovered Arrow panic, wrapped by Open with the file",
	"probe.sameShape":             "checkShape wraps it: which snapshot differs, or that the tree is not laid out like the model's",
	"sweep.parseValues":           "ParseGrid wraps it with the grid file, line and parameter",
	"sweep.ParseValue":            "parseValues returns it to ParseGrid, which names the grid file, line and parameter",
	"sweep.atLeast":               "a parameter's check, called by ParseValue (see there)",
	"sweep.unit":                  "a parameter's check, called by ParseValue (see there)",
	"sweep.positive":              "a parameter's check, called by ParseValue (see there)",
	"sweep.keepLevel":             "a parameter's check, called by ParseValue (see there)",
	"sweep.oneOf":                 "a parameter's check, called by ParseValue (see there)",
	"sweep.checkExtra":            "ParseGrid and Makefile wrap it with the grid file (and line)",
	"covop.Checkable":             "the predicate of a sentence whose subject, the network's file, the caller names: \"net.arrows has biases; …\"",
	"embed.find":                  "Select wraps it with the selection item",
}

// TestErrorPrefix enforces the error convention of the library packages
// (every package under pkg but the command layer, pkg/cli): an error or
// panic message made from a string literal begins with the package's name
// ("arrowio: samples.arrows: column x: …", "nn: Forward: …"), so that a
// message says where it comes from, as the standard library's and gonum's
// do. A message that begins with %w wraps an error that carries its prefix
// (a sentinel such as ErrNoColumn); a helper whose errors are wrapped with
// the prefix by its callers is listed in wrapped, with the reason.
func TestErrorPrefix(t *testing.T) {
	root := filepath.Join("..", "..")
	var bad []string
	used := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "cli" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		pkg := f.Name.Name
		dir := filepath.ToSlash(filepath.Dir(rel))
		for _, decl := range f.Decls {
			fn := ""
			switch d := decl.(type) {
			case *ast.FuncDecl:
				fn = d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					fn = recvName(d.Recv.List[0].Type) + "." + fn
				}
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				lit, ok := message(call)
				if !ok || strings.HasPrefix(lit, pkg+": ") || strings.HasPrefix(lit, "%w") {
					return true
				}
				for _, k := range []string{dir, dir + "." + fn} {
					if _, ok := wrapped[k]; ok {
						used[k] = true
						return true
					}
				}
				bad = append(bad, fmt.Sprintf("%s: %s: %q lacks the prefix %q", fset.Position(call.Pos()), dir+"."+fn, lit, pkg+": "))
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
	for k := range wrapped {
		if !used[k] {
			t.Errorf("wrapped lists %s, which makes no unprefixed message: remove it", k)
		}
	}
}

// message returns the string literal that begins the message of an
// errors.New, fmt.Errorf or panic call (through fmt.Sprintf and string
// concatenation).
func message(call *ast.CallExpr) (string, bool) {
	if len(call.Args) == 0 {
		return "", false
	}
	switch {
	case isFunc(call.Fun, "errors", "New"), isFunc(call.Fun, "fmt", "Errorf"):
		return literal(call.Args[0])
	case isIdent(call.Fun, "panic"):
		arg := call.Args[0]
		if c, ok := arg.(*ast.CallExpr); ok && isFunc(c.Fun, "fmt", "Sprintf") && len(c.Args) > 0 {
			arg = c.Args[0]
		}
		return literal(arg)
	}
	return "", false
}

func literal(e ast.Expr) (string, bool) {
	for {
		b, ok := e.(*ast.BinaryExpr)
		if !ok || b.Op != token.ADD {
			break
		}
		e = b.X
	}
	l, ok := e.(*ast.BasicLit)
	if !ok || l.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(l.Value)
	return s, err == nil
}

func isFunc(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(s.X, pkg) && s.Sel.Name == name
}

func isIdent(e ast.Expr, name string) bool {
	i, ok := e.(*ast.Ident)
	return ok && i.Name == name
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

// TestNoDoublePrefix checks the messages the scripts expect for a package
// prefix given twice ("arrowio: arrowio: …"): each error is prefixed once,
// where it is made, not again where it is wrapped. (A tool and a package
// may share a name; cli.Main then names it once.)
func TestNoDoublePrefix(t *testing.T) {
	var doubles []*regexp.Regexp
	for _, p := range []string{"arrowio", "outfile", "hltm", "nn", "train", "lineval", "statedict", "sweep", "loss", "report"} {
		doubles = append(doubles, regexp.MustCompile(`(^|[\s'"(^])`+p+`: (\S+: )*`+p+`: `))
	}
	n := 0
	for _, dir := range []string{filepath.Join("..", "..", "cli"), filepath.Join("..", "..", "..", "testdata", "script")} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".txtar") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			for i, line := range strings.Split(string(b), "\n") {
				for _, re := range doubles {
					if re.MatchString(line) {
						t.Errorf("%s:%d: a package prefix twice: %s", path, i+1, line)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("no scripts found")
	}
}

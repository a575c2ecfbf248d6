package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the module root, seen from this package.
const repoRoot = "../../.."

// TestDocsReferences checks that every pointer into docs/theory.md from the
// code, the tools' help and the README names a section that exists, and that
// the repository never points to a document its users do not have: every
// document it names (a docs/ page, or an upper-case Markdown name such as
// the README's) is in the checkout, and no relative path climbs out of it.
// Lower-case .md names are outputs (a sweep's summary.md), not documents.
func TestDocsReferences(t *testing.T) {
	theory, err := os.ReadFile(filepath.Join(repoRoot, "docs/theory.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(theory), "\n") {
		if m := regexp.MustCompile(`^## (\d+)\. `).FindStringSubmatch(line); m != nil {
			sections[m[1]] = true
			anchors[githubAnchor(strings.TrimPrefix(line, "## "))] = true
		}
	}
	for _, m := range regexp.MustCompile(`\]\(#([a-z0-9-]+)\)`).FindAllSubmatch(theory, -1) {
		if !anchors[string(m[1])] {
			t.Errorf("docs/theory.md: link %q has no heading", m[0])
		}
	}
	if len(sections) < 8 {
		t.Fatalf("docs/theory.md has %d numbered sections, want at least 8", len(sections))
	}
	ref := regexp.MustCompile(`docs/theory\.md ?§(\d+)(?:[–-](\d+))?`)
	link := regexp.MustCompile(`docs/theory\.md#([a-z0-9-]+)`)
	mdName := regexp.MustCompile(`(?:docs/[A-Za-z0-9_-]+|\b[A-Z][A-Z0-9_]+)\.md\b`)
	climb := regexp.MustCompile(`(?:\.\./)+[A-Za-z0-9_.-]*`)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "node_modules" || name == "bin" || name == "demo" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".txtar", ".sh", ".txt":
		default:
			if d.Name() != "Makefile" {
				return nil
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		for _, m := range mdName.FindAll(b, -1) {
			if !inCheckout(root, filepath.Dir(path), string(m)) {
				t.Errorf("%s names %q, which is not in the checkout: point to docs/ instead", rel, m)
			}
		}
		for _, m := range climb.FindAll(b, -1) {
			abs, err := filepath.Abs(filepath.Join(filepath.Dir(path), string(m)))
			if err == nil && abs != root && !strings.HasPrefix(abs, root+string(filepath.Separator)) {
				t.Errorf("%s: path %q leaves the checkout", rel, m)
			}
		}
		for _, m := range ref.FindAllSubmatch(b, -1) {
			checked++
			for _, s := range m[1:] {
				if len(s) > 0 && !sections[string(s)] {
					t.Errorf("%s: %q: docs/theory.md has no section %s", rel, m[0], s)
				}
			}
		}
		for _, m := range link.FindAllSubmatch(b, -1) {
			checked++
			if !anchors[string(m[1])] {
				t.Errorf("%s: link %q: docs/theory.md has no such heading", rel, m[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 8 {
		t.Errorf("found only %d references to docs/theory.md; the tools' help and the README should point there", checked)
	}
}

// inCheckout reports whether the Markdown file name, as written in a file in
// dir, is a file of the checkout at root: relative to dir, to root, or (a
// bare name) anywhere below root.
func inCheckout(root, dir, name string) bool {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(root, name)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	if strings.Contains(name, "/") {
		return false
	}
	found := false
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// githubAnchor is the anchor GitHub gives a Markdown heading: lower case,
// punctuation other than '-' and '_' dropped, spaces to '-'.
func githubAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

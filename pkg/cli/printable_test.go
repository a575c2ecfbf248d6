package cli

import "testing"

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text, ünïcödé … ✓", "plain text, ünïcödé … ✓"},
		{`back\slash`, `back\slash`},
		{"\x1b]0;title\a", `\x1b]0;title\x07`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"row\nforged\r\tx", `row\nforged\r\tx`},
		{"\x00\x7f", `\x00\x7f`},
		{"\u0085\u009b", `\u0085\u009b`},
		{"\xff\xfe ok \xc3", `\xff\xfe ok \xc3`},
		{"a\u202eb\u2066c\u200fd\u2028e", `a\u202eb\u2066c\u200fd\u2028e`},
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Error lines on stderr go through it too.
	if got := oneLine("bad kind \"\x1b[2J\"\n  in x.arrows"); got != `bad kind "\x1b[2J" in x.arrows` {
		t.Errorf("oneLine = %q", got)
	}
}

package hltm

import "testing"

func TestParseLevel(t *testing.T) {
	for _, c := range []struct {
		s     string
		depth int
		want  int
		err   string
	}{
		{"root", 3, 0, ""},
		{" leaves ", 3, 3, ""},
		{"level:2", 3, 2, ""},
		{"level:0", 3, 0, ""},
		{"level:4", 3, 0, `hltm: "level:4": level 4 is outside the tree's levels 0 … 3 (want root, leaves or level:K)`},
		{"2", 3, 0, `hltm: "2": want root, leaves or level:K with K in 0 … 3`},
		{"level2", 3, 0, `hltm: "level2": want root, leaves or level:K with K in 0 … 3`},
		{"level:-1", 3, 0, `hltm: "level:-1": want root, leaves or level:K with K in 0 … 3`},
		{"middle", -1, 0, `hltm: "middle": want root, leaves or level:K`},
		{"level:40", -1, 40, ""},
	} {
		got, err := ParseLevel(c.s, c.depth)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseLevel(%q, %d): error %v, want %q", c.s, c.depth, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseLevel(%q, %d) = %d, %v; want %d", c.s, c.depth, got, err, c.want)
		}
		if c.s == "level:2" && LevelName(got) != "level:2" || LevelName(0) != "root" {
			t.Errorf("LevelName")
		}
	}
}

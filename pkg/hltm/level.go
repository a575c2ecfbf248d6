package hltm

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseLevel reads a tree level in the toolkit's one vocabulary: "root"
// (level 0), "leaves" (level depth) or "level:K" (level K). With depth ≥ 0
// the level must lie in 0 … depth; with depth < 0 (the tree is not known
// yet) only the form is checked and "leaves" gives −1. Errors quote s and
// name the accepted forms.
func ParseLevel(s string, depth int) (int, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "root":
		return 0, nil
	case "leaves":
		return depth, nil
	}
	k, err := -1, error(nil)
	if n, ok := strings.CutPrefix(t, "level:"); ok {
		k, err = strconv.Atoi(n)
	}
	if err != nil || k < 0 {
		if depth >= 0 {
			return 0, fmt.Errorf("hltm: %q: want root, leaves or level:K with K in 0 … %d", s, depth)
		}
		return 0, fmt.Errorf("hltm: %q: want root, leaves or level:K", s)
	}
	if depth >= 0 && k > depth {
		return 0, fmt.Errorf("hltm: %q: level %d is outside the tree's levels 0 … %d (want root, leaves or level:K)", s, k, depth)
	}
	return k, nil
}

// LevelName is the spelling of level k that ParseLevel reads: "root" for
// 0, else "level:K".
func LevelName(k int) string {
	if k == 0 {
		return "root"
	}
	return "level:" + strconv.Itoa(k)
}

package covopcmd_test

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

func TestMain(m *testing.M) {
	scripttest.Main(m, map[string]func(){
		"covop-show": func() { os.Exit(show(os.Args[1:])) },
	})
}

// TestScripts runs testdata/*.txtar: covop on networks trained by ssl-train
// on views made by the make-views helper (scripttest.MakeViews, a
// stand-in for hltm-gen | augment).
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata")
}

// show prints a covop table, one line per row: epoch, scope, name, dim,
// rank and, on request, whether w_op_w agrees across the snapshot's
// levels (-wopw: "wopw=same" or "wopw=differs") and, when the table has
// the column, whether check_rel_err is below
// -check-below ("check ok" / "check BAD <value>"); likewise pair_rel_err
// against -pair-below ("pair ok" / "pair BAD"), step_cos against
// -cos-above ("cos ok" / "cos BAD", when the table has step columns), and
// whether 0 ≤ align_1 ≤ align_n ≤ 1 ("align ok" / "align BAD").
func show(args []string) int {
	fs := flag.NewFlagSet("covop-show", flag.ContinueOnError)
	below := fs.Float64("check-below", 1e-10, "largest acceptable check_rel_err")
	compare := fs.Bool("wopw", false, "say whether w_op_w is the same for every level of a snapshot")
	pairBelow := fs.Float64("pair-below", 1e-10, "largest acceptable pair_rel_err")
	cosAbove := fs.Float64("cos-above", -1, "smallest acceptable step_cos")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := "-"
	if fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	r, err := arrowio.Open(path, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer r.Close()
	t, err := arrowio.ReadTable(r)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("kind %s\n", r.Meta().Kind)
	epoch, _ := t.Int32("epoch")
	scope, _ := t.String("scope")
	name, _ := t.String("name")
	dim, _ := t.Int32("dim")
	rank, _ := t.Int32("rank")
	wopw, _ := t.Float64("w_op_w")
	check, err := t.Float64("check_rel_err")
	hasCheck := err == nil
	pair, errPair := t.Float64("pair_rel_err")
	cos, errCos := t.Float64("step_cos")
	noise, _ := t.Float64("step_noise")
	a1, errAlign := t.Float64("align_1")
	an, _ := t.Float64("align_n")
	ref := map[int32]float64{}
	for i := range epoch {
		line := fmt.Sprintf("%d %s %q dim=%d rank=%d", epoch[i], scope[i], name[i], dim[i], rank[i])
		if *compare && scope[i] != "node" {
			if v, ok := ref[epoch[i]]; !ok {
				ref[epoch[i]] = wopw[i]
			} else if math.Abs(wopw[i]-v) <= 1e-9*math.Abs(v) {
				line += " wopw=same"
			} else {
				line += " wopw=differs"
			}
		}
		if hasCheck && scope[i] != "node" {
			if check[i] <= *below {
				line += " check ok"
			} else {
				line += " check BAD " + strconv.FormatFloat(check[i], 'g', 3, 64)
			}
		}
		if errPair == nil && scope[i] != "node" && !math.IsNaN(pair[i]) { // NaN: no views, no batch to check
			if pair[i] <= *pairBelow {
				line += " pair ok"
			} else {
				line += " pair BAD " + strconv.FormatFloat(pair[i], 'g', 3, 64)
			}
		}
		if errCos == nil && scope[i] != "node" {
			if cos[i] >= *cosAbove && noise[i] >= 0 {
				line += " cos ok"
			} else {
				line += " cos BAD " + strconv.FormatFloat(cos[i], 'g', 3, 64)
			}
		}
		if errAlign == nil && scope[i] != "node" {
			if 0 <= a1[i] && a1[i] <= an[i]+1e-12 && an[i] <= 1+1e-12 {
				line += " align ok"
			} else {
				line += " align BAD"
			}
		}
		fmt.Println(strings.TrimSpace(line))
	}
	return 0
}

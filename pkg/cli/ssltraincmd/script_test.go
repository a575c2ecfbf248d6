package ssltraincmd_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

// makeViewsDefaults go before the scripts' make-views arguments (the last
// value of a flag wins): this package's views have polarities in
// ±[0.8, 1], x_a the sample itself (x_a and x_b share the root), and no
// config in the metadata.
var makeViewsDefaults = []string{"-delta-lower", "0.8", "-self-view", "-noconfig"}

func TestMain(m *testing.M) {
	scripttest.Main(m, map[string]func(){
		"make-views":  func() { os.Exit(scripttest.MakeViews(slices.Concat(makeViewsDefaults, os.Args[1:]))) },
		"net-info":    func() { os.Exit(netInfo(os.Args[1:])) },
		"net-float32": func() { os.Exit(netFloat32(os.Args[1:])) },
	})
}

// TestScripts runs testdata/*.txtar: ssl-train end to end on small views
// made by the make-views helper (scripttest.MakeViews, a stand-in for
// hltm-gen | augment).
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata")
}

// netInfo prints one line per snapshot of a network file: epoch, arch,
// parameter count, whether it has momentum, and a hash of the parameters'
// bits.
func netInfo(args []string) int {
	path := "-"
	if len(args) > 0 {
		path = args[0]
	}
	r, err := arrowio.OpenNetwork(path, os.Stdin, "net-info")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		e, net, err := r.Next()
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		h := fnv.New64a()
		for _, p := range net.ParamSlices() {
			for _, v := range p {
				binary.Write(h, binary.LittleEndian, math.Float64bits(v))
			}
		}
		fmt.Printf("epoch %d %s params %d momentum %v hash %016x\n", e, net.Arch, net.NumParams(), r.Velocity() != nil, h.Sum64())
	}
}

// netFloat32 checks that every weight, bias and velocity of every snapshot
// of a network file is a float32 value (--precision float32), and says so;
// it exits 1 naming the first that is not.
func netFloat32(args []string) int {
	r, err := arrowio.OpenNetwork(args[0], os.Stdin, "net-float32")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n := 0
	for {
		e, net, err := r.Next()
		if errors.Is(err, io.EOF) {
			fmt.Printf("%d snapshots, every weight a float32 value\n", n)
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		n++
		for k, p := range net.ParamSlices() {
			for i, v := range p {
				if float64(float32(v)) != v {
					fmt.Fprintf(os.Stderr, "epoch %d: parameter %d[%d] = %v is not a float32 value\n", e, k, i, v)
					return 1
				}
			}
		}
	}
}

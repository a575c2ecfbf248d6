package probecmd

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/probe"
	"github.com/dualssl/dualssl/pkg/report"
)

// ampSummary prints the amplification of initial selectivity per level:
// the last snapshot against the first (docs/theory.md §10).
func ampSummary(w io.Writer, m *hltm.Model, snaps []nn.Snapshot, res *probe.Result) {
	last := len(snaps) - 1
	lv := probe.AmplificationLevels(m, res.Amplification(last))
	fmt.Fprintf(w, "amplification, epoch %d against %d: rank correlation of |corr| over each latent's neurons, and how often the best neuron was already the best (top 2) [chance]\n",
		snaps[last].Epoch, snaps[0].Epoch)
	fmt.Fprintf(w, "%-6s %2s %9s %15s %15s %10s\n", "level", "d", "spearman", "best was best", "was top 2", "sign kept")
	for _, l := range lv {
		name := fmt.Sprint(l.Level)
		if l.Level == 0 {
			name = "root"
		}
		fmt.Fprintf(w, "%-6s %2d %9.3f %8.2f [%.2f] %8.2f [%.2f] %10.2f\n", name, l.DepthIndex, l.Spearman, l.Top1, l.Chance1, l.Top2, l.Chance2, l.SignKept)
	}
}

// drawAmp draws the amplification figure: per level, |corr| of every
// neuron at the first snapshot against the last, and the trajectories of
// each latent's best neuron at the last snapshot.
func drawAmp(m *hltm.Model, snaps []nn.Snapshot, res *probe.Result, format string) ([]byte, error) {
	order := make([]int, len(snaps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return snaps[order[a]].Epoch < snaps[order[b]].Epoch })
	first, last := res.Snapshots[0], res.Snapshots[len(snaps)-1]
	var levels []report.AmpLevel
	for l := range m.Depth() {
		al := report.AmpLevel{Level: l, DepthIndex: m.Depth() - l}
		for _, i := range order {
			al.Epochs = append(al.Epochs, float64(snaps[i].Epoch))
		}
		for mu := m.LevelStart(l); mu < m.LevelStart(l+1); mu++ {
			nr := last.Nodes[mu]
			lr := nr.Layers[nr.Best]
			k := lr.BestNeuron
			var init []float64
			for _, l0 := range first.Nodes[mu].Layers {
				if l0.Layer == lr.Layer {
					init = l0.Corr
				}
			}
			for j := range lr.Corr {
				al.First = append(al.First, math.Abs(init[j]))
				al.Last = append(al.Last, math.Abs(lr.Corr[j]))
			}
			al.BestFirst = append(al.BestFirst, math.Abs(init[k]))
			al.BestLast = append(al.BestLast, math.Abs(lr.Corr[k]))
			var traj []float64
			for _, i := range order {
				for _, li := range res.Snapshots[i].Nodes[mu].Layers {
					if li.Layer == lr.Layer {
						traj = append(traj, math.Abs(li.Corr[k]))
					}
				}
			}
			al.Trajectories = append(al.Trajectories, traj)
		}
		levels = append(levels, al)
	}
	title := fmt.Sprintf("amplification, epoch %d → %d", snaps[0].Epoch, snaps[len(snaps)-1].Epoch)
	grid, err := report.Amplification(title, levels)
	if err != nil {
		return nil, err
	}
	wd, ht := report.GridSize(len(grid), 2)
	return report.EncodeGrid(grid, format, wd, ht)
}

package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/report"
)

// Figure size flags, shared by every tool that draws (probe --plot,
// hltm-sweep report --plots).
const (
	FlagPlotSize = "plot-size"
	FlagPlotDPI  = "plot-dpi"
)

// PlotFlags returns --plot-size and --plot-dpi with the given default size
// (e.g. "16x11", centimetres).
func PlotFlags(defaultSize, what string) []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: FlagPlotSize, Value: defaultSize, Usage: fmt.Sprintf("size `WxH` of %s in cm (or with units: 6inx4in)", what)},
		&ucli.IntFlag{Name: FlagPlotDPI, Value: report.DPI, Usage: "resolution `DPI` of PNG pictures (SVG and PDF are vector formats)"},
	}
}

// PlotSize returns the picture size of --plot-size and --plot-dpi, or a
// usage error naming the flag.
func PlotSize(c *ucli.Context) (report.Size, error) {
	s, err := report.ParseSize(c.String(FlagPlotSize), c.Int(FlagPlotDPI))
	if err != nil {
		return report.Size{}, Usagef("--%s/--%s: %v", FlagPlotSize, FlagPlotDPI, err)
	}
	return s, nil
}

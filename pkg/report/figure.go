package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// This file is the one home of the project's figure conventions: picture
// formats and sizes, the one DPI rule, fonts, the level palette, fitted
// ranges, integer ticks and a legend drawn beside the panels (never over
// the data). pkg/sweep's plots use it too.

// DPI is the resolution of every PNG the tools write unless a flag says
// otherwise: 150 dots per inch, sharp enough to print a 16 cm figure and
// small enough to mail. SVG and PDF are vector formats and need none.
const DPI = 150

// Size is a picture's size; DPI applies to PNG only.
type Size struct {
	W, H vg.Length
	DPI  int
}

// DefaultSize is the size of a single-panel figure: 16 cm × 11 cm at DPI.
var DefaultSize = Size{W: Width, H: Height, DPI: DPI}

// ParseSize reads a picture size "WxH" in centimetres ("16x11"), or with a
// unit on both numbers: cm, mm, in or pt ("6inx4in"). Both must lie in
// [2 cm, 200 cm]; dpi must lie in [30, 1200].
func ParseSize(s string, dpi int) (Size, error) {
	w, h, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if !ok {
		return Size{}, fmt.Errorf("report: size %q: want WxH in centimetres, e.g. 16x11 (or with units: 6inx4in)", s)
	}
	var out Size
	for i, part := range []string{w, h} {
		l, err := parseLength(part)
		if err != nil {
			return Size{}, fmt.Errorf("report: size %q: %v", s, err)
		}
		if l < 2*vg.Centimeter || l > 200*vg.Centimeter {
			return Size{}, fmt.Errorf("report: size %q: each side must lie between 2 cm and 200 cm", s)
		}
		if i == 0 {
			out.W = l
		} else {
			out.H = l
		}
	}
	if dpi < 30 || dpi > 1200 {
		return Size{}, fmt.Errorf("report: dpi %d: must lie in [30, 1200]", dpi)
	}
	out.DPI = dpi
	return out, nil
}

func parseLength(s string) (vg.Length, error) {
	unit := vg.Centimeter
	for _, u := range []struct {
		suffix string
		l      vg.Length
	}{{"cm", vg.Centimeter}, {"mm", vg.Millimeter}, {"in", vg.Inch}, {"pt", vg.Points(1)}} {
		if strings.HasSuffix(s, u.suffix) {
			s, unit = strings.TrimSuffix(s, u.suffix), u.l
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("report: %q is not a length", s)
	}
	return vg.Length(v) * unit, nil
}

// Formats are the picture formats the tools write, by file extension.
var Formats = []string{"png", "svg", "pdf"}

// FormatOf returns "png", "svg" or "pdf" from a file name's extension, or
// an error naming the file.
func FormatOf(path string) (string, error) {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	for _, f := range Formats {
		if ext == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("report: %s: picture format %q: use a .png, .svg or .pdf name", path, "."+ext)
}

// Figure is a picture of one or more panels that share one legend, drawn
// to the right of the panels so that it never covers data, under an
// optional title that is wrapped to the picture's width.
type Figure struct {
	Title  string
	Panels [][]*plot.Plot // rows of panels, all rows of equal length; a nil panel leaves its tile empty
	Legend plot.Legend    // fill it with AddLegend
	n      int            // legend entries
}

// AddLegend adds a legend entry.
func (f *Figure) AddLegend(name string, thumbs ...plot.Thumbnailer) {
	f.Legend.Add(name, thumbs...)
	f.n++
}

// NewFigure returns a figure with the project's legend style.
func NewFigure(title string) *Figure {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(9)
	l.ThumbnailWidth = vg.Points(22)
	l.Padding = vg.Points(1)
	return &Figure{Title: title, Legend: l}
}

// NewPanel returns an empty panel with the project's style: a light grid,
// 10 pt labels, no legend of its own (the figure's is used).
func NewPanel(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Size = vg.Points(9)
	}
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 0xe0}
	g.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(g)
	return p
}

// Color is the colour of series i (a level, say): the same in every figure.
func Color(i int) color.Color { return plotutil.Color(i) }

// CeilingDashes is the dash pattern of every ceiling line.
var CeilingDashes = []vg.Length{vg.Points(5), vg.Points(3)}

// FitY sets p's y range to [lo, hi] widened by 6 % on each side (at least
// 0.02 in all), so that data and ceilings fill the panel without touching
// its frame. NaN values are ignored; with none, the range is left alone.
func FitY(p *plot.Plot, values ...float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return
	}
	pad := math.Max(0.06*(hi-lo), 0.01)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
}

// IntegerTicks marks integers only (epochs, say), with a step of 1, 2, 5,
// 10, 20, 50, … chosen to give at most about eight labelled ticks.
type IntegerTicks struct{}

// Ticks implements plot.Ticker.
func (IntegerTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	if lo > hi {
		return nil
	}
	step := 1.0
	for k := 0; (hi-lo)/step > 8; k++ {
		step = []float64{2, 5, 10}[k%3] * math.Pow(10, float64(k/3))
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		v += 0 // no "-0"
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	if step >= 2 && step <= 10 {
		sub := step / 2
		if step == 5 {
			sub = 1
		}
		for v := math.Ceil(lo/sub) * sub; v <= hi; v += sub {
			if math.Mod(v, step) != 0 {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// PadX widens p's x range by frac of its width on each side, so that the
// end points' markers and error bars are not cut by the frame.
func PadX(p *plot.Plot, frac float64) {
	w := p.X.Max - p.X.Min
	if w <= 0 {
		w = 1
	}
	p.X.Min -= frac * w
	p.X.Max += frac * w
}

var pdfDate = regexp.MustCompile(`(/(?:CreationDate|ModDate) \(D:)\d{14}\)`)

// Encode draws the figure at size in format "png", "svg" or "pdf".
func (f *Figure) Encode(format string, size Size) ([]byte, error) {
	return encode(format, size, f.Draw)
}

// encode runs drawFn on a canvas of size in format "png" (at size.DPI, or
// DPI when 0), "svg" or "pdf", and returns the encoded picture: the one
// encoding path of every figure.
func encode(format string, size Size, drawFn func(draw.Canvas)) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "png":
		dpi := size.DPI
		if dpi == 0 {
			dpi = DPI
		}
		c := vgimg.NewWith(vgimg.UseWH(size.W, size.H), vgimg.UseDPI(dpi))
		drawFn(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, err
		}
	case "svg":
		c := vgsvg.New(size.W, size.H)
		drawFn(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
	case "pdf":
		c := vgpdf.New(size.W, size.H)
		c.EmbedFonts(true)
		drawFn(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
		// The PDF writer stamps the clock into the document information;
		// a fixed date of the same length keeps the bytes (and the
		// cross-reference offsets) the same for the same data.
		return pdfDate.ReplaceAll(buf.Bytes(), []byte("${1}20000101000000)")), nil
	default:
		return nil, fmt.Errorf("report: picture format %q: want png, svg or pdf", format)
	}
	return buf.Bytes(), nil
}

// Draw draws the figure on c: a white background, the wrapped title, the
// panels (aligned so that their data areas line up) and the legend in a
// column of its own at the right.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	margin := vg.Points(6)
	c = draw.Crop(c, margin, -margin, margin, -margin)
	if f.Title != "" {
		sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(11)), Handler: plot.DefaultTextHandler}
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		lines := wrap(f.Title, sty, c.Max.X-c.Min.X)
		c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y}, lines)
		h := sty.Rectangle(lines).Size().Y
		c = draw.Crop(c, 0, 0, 0, -h-vg.Points(4))
	}
	if f.n > 0 {
		w := f.Legend.Rectangle(c).Size().X + vg.Points(8)
		leg := draw.Crop(c, c.Max.X-c.Min.X-w+vg.Points(8), 0, 0, 0)
		f.Legend.Draw(leg)
		c = draw.Crop(c, 0, -w, 0, 0)
	}
	rows := len(f.Panels)
	if rows == 0 {
		return
	}
	cols := len(f.Panels[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(8)}
	full := make([][]*plot.Plot, rows)
	for r := range f.Panels {
		full[r] = make([]*plot.Plot, cols)
		for k := range full[r] {
			if k < len(f.Panels[r]) && f.Panels[r][k] != nil {
				full[r][k] = f.Panels[r][k]
			} else {
				full[r][k] = nil
			}
		}
	}
	canvases := alignOrTile(full, tiles, c)
	for r := range full {
		for k, p := range full[r] {
			if p != nil {
				p.Draw(canvases[r][k])
			}
		}
	}
}

// alignOrTile aligns the panels' data areas when every tile has a panel
// (plot.Align needs them all), and otherwise just tiles the canvas.
func alignOrTile(panels [][]*plot.Plot, t draw.Tiles, c draw.Canvas) [][]draw.Canvas {
	complete := true
	for _, row := range panels {
		for _, p := range row {
			complete = complete && p != nil
		}
	}
	if complete {
		return plot.Align(panels, t, c)
	}
	out := make([][]draw.Canvas, len(panels))
	for r := range panels {
		out[r] = make([]draw.Canvas, len(panels[r]))
		for k := range panels[r] {
			out[r][k] = t.At(c, k, r)
		}
	}
	return out
}

// wrap breaks s into lines no wider than w in style sty (at spaces, and
// after ", " where possible).
func wrap(s string, sty text.Style, w vg.Length) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			next := word
			if line != "" {
				next = line + " " + word
			}
			if line != "" && sty.Width(next) > w {
				lines = append(lines, line)
				next = word
			}
			line = next
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

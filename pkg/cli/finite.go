package cli

import (
	"math"
	"os"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// requireFinite makes app, and every command under it, refuse a NaN or
// infinite value of any float flag (given on the command line or in its
// environment variable) with a usage error, after the flags are parsed and
// before the tool does anything. strconv.ParseFloat, which urfave/cli
// uses, accepts "NaN", "Inf" and "-Infinity"; no flag of the toolkit
// means anything by them, and JSON (dualssl.config) cannot record them.
func requireFinite(app *ucli.App) {
	beforeEach(app, func(c *ucli.Context, flags []ucli.Flag, _ bool) error { return checkFinite(c, flags) })
}

// beforeEach runs check, after the flags are parsed and before anything
// else, for app and every command under it, with that level's flags and
// whether it takes positional arguments; an error stops the run.
func beforeEach(app *ucli.App, check func(c *ucli.Context, flags []ucli.Flag, hasArgs bool) error) {
	wrap := func(flags []ucli.Flag, hasArgs bool, next ucli.BeforeFunc) ucli.BeforeFunc {
		return func(c *ucli.Context) error {
			if err := check(c, flags, hasArgs); err != nil {
				return err
			}
			if next != nil {
				return next(c)
			}
			return nil
		}
	}
	app.Before = wrap(app.Flags, app.ArgsUsage != "", app.Before)
	var walk func([]*ucli.Command)
	walk = func(cmds []*ucli.Command) {
		for _, c := range cmds {
			c.Before = wrap(c.Flags, c.ArgsUsage != "", c.Before)
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
}

// checkFinite returns a UsageError naming the first float flag of flags
// whose value is NaN or ±Inf.
func checkFinite(c *ucli.Context, flags []ucli.Flag) error {
	for _, f := range flags {
		name := f.Names()[0]
		var vals []float64
		switch f.(type) {
		case *ucli.Float64Flag:
			vals = []float64{c.Float64(name)}
		case *ucli.Float64SliceFlag:
			vals = c.Float64Slice(name)
		default:
			continue
		}
		for _, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Usagef("--%s %s%s: must be a finite number", name, strconv.FormatFloat(v, 'g', -1, 64), fromEnv(f, v))
			}
		}
	}
	return nil
}

// fromEnv says " (from ENV)" when the bad value v of flag f is what one of
// its environment variables holds (a value on the command line overrides
// the variable, so a different variable value means the command line).
func fromEnv(f ucli.Flag, v float64) string {
	ev, ok := f.(interface{ GetEnvVars() []string })
	if !ok {
		return ""
	}
	for _, name := range ev.GetEnvVars() {
		for _, s := range strings.Split(os.Getenv(name), ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err == nil && strconv.FormatFloat(x, 'g', -1, 64) == strconv.FormatFloat(v, 'g', -1, 64) {
				return " (from " + name + ")"
			}
		}
	}
	return ""
}

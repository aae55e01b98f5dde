package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logOptions are the logging flags every command shares.
type logOptions struct {
	format  string // "", "console" or "json"; "" picks console on a terminal, JSON otherwise
	verbose int
	quiet   bool
}

// isTerminal reports whether f is a terminal. mattn/go-isatty does this one job (it knows
// the Cygwin and Windows cases); main asks it once, for stdin and stderr.
func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// newLogger builds the one logger of the process, writing to w. zap is the project's logger:
// structured fields, JSON for machines and a console form for people, and cheap enough for
// the per-row paths; it is built here only and passed down explicitly (never a global).
// Extra cores (the run folder's run.log) can be attached later with zap.WrapCore.
func newLogger(w io.Writer, o logOptions, terminal bool) (*zap.Logger, error) {
	level := zapcore.InfoLevel
	switch {
	case o.quiet:
		level = zapcore.WarnLevel
	case o.verbose > 0:
		level = zapcore.DebugLevel
	}
	format := o.format
	if format == "" {
		format = "json"
		if terminal {
			format = "console"
		}
	}
	var enc zapcore.Encoder
	switch format {
	case "json":
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		if terminal {
			cfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		enc = zapcore.NewConsoleEncoder(cfg)
	default:
		return nil, fmt.Errorf("--log-format %q: want console or json", o.format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core), nil
}

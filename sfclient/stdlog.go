package sfclient

import (
	"bytes"
	"log"
	"regexp"
	"strings"

	"go.uber.org/zap"
)

// RedirectStdLog routes the standard library's global logger — which simpleforce writes to
// on every failure and on login, including full response bodies — into logger at debug
// level, named "simpleforce". Lines are truncated to 200 bytes, query strings are dropped from
// URLs, response bodies are replaced by "(body omitted)", and session ids are redacted. It
// is the one documented mutation of global state in this package: main calls it once and
// defers the returned restore func, which puts back the previous output, flags and prefix.
// It is not safe to call concurrently with other code that reconfigures package log.
func RedirectStdLog(logger *zap.Logger) (restore func()) {
	if logger == nil {
		logger = zap.NewNop()
	}
	prevOut, prevFlags, prevPrefix := log.Writer(), log.Flags(), log.Prefix()
	log.SetOutput(&stdLogWriter{log: logger.Named("simpleforce")})
	log.SetFlags(0)
	log.SetPrefix("")
	return func() {
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
		log.SetPrefix(prevPrefix)
	}
}

// stdLogWriter receives whole lines from package log (which serialises its writes).
type stdLogWriter struct {
	log *zap.Logger
}

var urlQueryRE = regexp.MustCompile(`(https?://[^\s?]+)\?\S*`)

func (w *stdLogWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		w.log.Debug(sanitizeLogLine(string(line)))
	}
	return len(p), nil
}

// sanitizeLogLine makes one simpleforce log line safe to keep.
func sanitizeLogLine(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "[simpleforce]"))
	if i := strings.Index(s, "resp.body"); i >= 0 {
		s = s[:i] + "resp.body (body omitted)"
	}
	s = urlQueryRE.ReplaceAllString(s, "$1?…")
	s = redact(s)
	return truncate(s, 200)
}

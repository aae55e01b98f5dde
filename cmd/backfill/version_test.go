package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildOf(t *testing.T) {
	vcs := func(settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/northpass-tools/backfill", Version: "(devel)"}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/northpass-tools/backfill", Version: "v1.4.0"}}
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  build
	}{
		{"goreleaser", "1.4.0", "0123abc", "2026-12-01T10:00:00Z", vcs(), build{version: "1.4.0", commit: "0123abc", date: "2026-12-01T10:00:00Z"}},
		{"make build, dirty", "v1.4.0-3-g0123abc-dirty", "0123abcdef", "2026-12-01T10:00:00+01:00", vcs(),
			build{version: "v1.4.0-3-g0123abc-dirty", commit: "0123abcdef", date: "2026-12-01T10:00:00+01:00"}},
		{"go install @v1.4.0", "dev", "", "", installed, build{version: "v1.4.0"}},
		{"go build in a checkout", "dev", "", "", vcs("vcs.revision", "fedcba9", "vcs.time", "2026-12-02T08:00:00Z", "vcs.modified", "true"),
			build{version: "dev", commit: "fedcba9", date: "2026-12-02T08:00:00Z", modified: true}},
		{"nothing known", "dev", "", "", nil, build{version: "dev"}},
	}
	for _, tt := range tests {
		if got := buildOf(tt.version, tt.commit, tt.date, tt.bi); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	stdout, _, code := runCLI(t, "version")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) < 3 || !strings.HasPrefix(lines[0], "backfill ") || !strings.HasPrefix(lines[1], "commit: ") ||
		!strings.HasPrefix(lines[len(lines)-1], "go: go1.") {
		t.Errorf("version: exit %d\n%s", code, stdout)
	}
}

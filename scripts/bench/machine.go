package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine is what the figures were taken on.
type Machine struct {
	CPU           string  `json:"cpu"`
	Cores         int     `json:"cores"`
	RAMGB         float64 `json:"ram_gb"` // GiB
	Kernel        string  `json:"kernel"`
	OS            string  `json:"os"`
	Go            string  `json:"go"`
	DuckDB        string  `json:"duckdb,omitempty"`
	DuckDBNodeAPI string  `json:"duckdb_node_api,omitempty"`
	Node          string  `json:"node,omitempty"`
}

func machine(goCmd string) Machine {
	m := Machine{CPU: runtime.GOARCH, Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Go: commandOutput(goCmd, "env", "GOVERSION")}
	if m.Go == "" {
		m.Go = runtime.Version()
	}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb float64
		for _, c := range strings.TrimSuffix(v, " kB") {
			if c >= '0' && c <= '9' {
				kb = kb*10 + float64(c-'0')
			}
		}
		m.RAMGB = round1(kb / (1 << 20))
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	} else {
		m.Kernel = commandOutput("uname", "-r")
	}
	return m
}

// procField returns the value of the first "name : value" line of a /proc file, "" when
// there is none.
func procField(path, name string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// commandOutput returns the trimmed stdout of a command, "" when it fails.
func commandOutput(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

//go:build integration

package itest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// writeBenchResults saves a benchmark's markdown tables to TANDEM_BENCH_OUT, and the same rows as JSON
// (a list of tables, each a list of {column: value} rows) next to it with the extension .json, for
// comparing runs with a script.
func writeBenchResults(t *testing.T, md string) {
	path := os.Getenv("TANDEM_BENCH_OUT")
	if path == "" {
		return
	}
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		t.Error(err)
	}
	var tables [][]map[string]string
	var header []string
	for _, line := range strings.Split(md, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case header == nil:
			header = cells
			tables = append(tables, nil)
		case strings.HasPrefix(cells[0], "---"):
		default:
			row := map[string]string{}
			for i, c := range cells {
				if i < len(header) {
					row[header[i]] = c
				}
			}
			tables[len(tables)-1] = append(tables[len(tables)-1], row)
		}
	}
	b, _ := json.MarshalIndent(tables, "", "  ")
	if err := os.WriteFile(strings.TrimSuffix(path, ".md")+".json", b, 0o644); err != nil {
		t.Error(err)
	}
}

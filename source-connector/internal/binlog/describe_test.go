package binlog

import (
	"slices"
	"testing"
)

func TestMembers(t *testing.T) {
	for in, want := range map[string][]string{
		"enum('a','b''c','d\\\\e')": {"a", "b'c", `d\e`},
		"set('x','y,z')":            {"x", "y,z"},
		"enum('')":                  {""},
	} {
		got, err := members(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("members(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"enum", "enum('a)", "enum(a)", "enum('a' 'b')"} {
		if _, err := members(bad); err == nil {
			t.Errorf("members(%q) accepted", bad)
		}
	}
}

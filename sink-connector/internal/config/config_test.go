package config

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	c := Default()
	c.Kafka.Topics = []string{"a.b.c"}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults with a topic: %v", err)
	}
	c.Apply.Marker = "/*! dts */"
	c.Kafka.TopicsRegex = "x"
	c.Routing.Tables = []string{"nope"}
	c.Offsets.Database = "a`b"
	err := c.Validate()
	for _, key := range []string{"apply.marker", "kafka.topics", "routing.tables", "offsets.database"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestMarker(t *testing.T) {
	for m, ok := range map[string]bool{"/* dts */": true, "/* dts origin=A */": true, "/*! dts */": false, "/*+ x */": false,
		"dts": false, "/* a */ /* b */": false, "/**/": false} {
		c := Default()
		c.Kafka.Topics = []string{"t"}
		c.Apply.Marker = m
		if got := c.Validate() == nil; got != ok {
			t.Errorf("marker %q accepted=%v, want %v", m, got, ok)
		}
	}
}

func TestValidIdentifier(t *testing.T) {
	for s, ok := range map[string]bool{"orders": true, "Ünïcode_1": true, "with space": true, "a`b": false, "": false,
		"x\x00": false, strings.Repeat("a", 65): false, "trailing ": false, "new\nline": false} {
		if ValidIdentifier(s) != ok {
			t.Errorf("%q: want %v", s, ok)
		}
	}
}

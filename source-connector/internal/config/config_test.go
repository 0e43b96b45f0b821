package config

import (
	"strings"
	"testing"
)

func TestDefaultsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// TestValidateReportsEverything: every bad setting is reported at once, each by its key.
func TestValidateReportsEverything(t *testing.T) {
	c := Default()
	c.TopicPrefix = "bad prefix"
	c.MySQL.Flavor = "postgres"
	c.MySQL.ServerID = 0
	c.Kafka.Brokers = []string{"nohost"}
	c.Kafka.Compression = "brotli"
	c.Filters.IncludeTables = []string{"("}
	c.Events.DecimalMode = "exact"
	c.Offsets.Store = "file"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"topic_prefix", "mysql.flavor", "mysql.server_id", "kafka.brokers", "kafka.compression",
		"filters.include_tables", "decimal.handling.mode", "offsets.file"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

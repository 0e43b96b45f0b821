package envelope

import (
	"encoding/json"
	"slices"
	"strings"
)

// MetadataKind says what a record that is not a change event is, when it is one of the records Debezium
// (and tandem's source) writes beside change events: "schema change" (the topic named by the prefix),
// "transaction" (BEGIN/END on <prefix>.transaction) or "heartbeat". It returns "" for anything else.
//
// A sink reading such a topic by accident (a topics_regex that matches it) sets these records aside. It is
// only asked about records that are not change events, so nothing it says can hide a change.
func MetadataKind(value []byte) string {
	var doc map[string]json.RawMessage
	if json.Unmarshal(value, &doc) != nil {
		return ""
	}
	if len(doc) == 2 && doc["schema"] != nil && doc["payload"] != nil {
		var schema struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(doc["schema"], &schema) != nil {
			return ""
		}
		switch {
		case strings.HasPrefix(schema.Name, "io.debezium.connector.") && strings.HasSuffix(schema.Name, ".SchemaChangeValue"):
			return "schema change"
		case schema.Name == "io.debezium.connector.common.TransactionMetadataValue":
			return "transaction"
		case schema.Name == "io.debezium.connector.common.Heartbeat":
			return "heartbeat"
		}
		return ""
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch strings.Join(keys, ",") {
	case "databaseName,ddl,schemaName,source,tableChanges,ts_ms":
		return "schema change"
	case "data_collections,event_count,id,status,ts_ms":
		return "transaction"
	case "ts_ms":
		return "heartbeat"
	}
	return ""
}

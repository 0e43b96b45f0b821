package checkpoint

import (
	"encoding/json"

	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

// State is what is saved: where streaming resumes and, while the initial snapshot is unfinished, how far
// the snapshot got.
type State struct {
	Position binlog.Position `json:"position"`
	Snapshot *Progress       `json:"snapshot,omitempty"`
}

// Progress is the acknowledged progress of a snapshot. Tables[0] is the table being copied; rows of it
// with keys up to After are in Kafka. A snapshot resumed after a crash copies the rest of Tables[0] after
// After, then the other tables; streaming still starts at State.Position, the snapshot's first position,
// so changes made in between are captured too.
type Progress struct {
	Tables []TableName `json:"tables"`          // still to copy, in order
	After  [][]byte    `json:"after,omitempty"` // key column values of the last row acknowledged in Tables[0]
	Rows   int64       `json:"rows"`            // rows of Tables[0] acknowledged
	Total  int64       `json:"total"`           // rows of all tables acknowledged
}

// TableName names a table.
type TableName struct {
	DB    string `json:"db"`
	Table string `json:"table"`
}

func (n TableName) String() string { return n.DB + "." + n.Table }

func (s State) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

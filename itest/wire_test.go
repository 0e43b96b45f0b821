//go:build integration

package itest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

// TestSourceColumnDefaults: a column's DEFAULT reaches its field schema's "default" as Debezium writes it,
// taken from the catalog when the table is described: in snapshot records, in streamed records, and for a
// column added by ALTER TABLE mid-stream. CURRENT_TIMESTAMP is the epoch, other expressions and NULL give
// no default.
func TestSourceColumnDefaults(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_dflt")
	prefix := UniqueName("dflt")
	tbl := "`" + db + "`.t"
	mustExec(t, admin, "CREATE TABLE "+tbl+` (id INT PRIMARY KEY, v VARCHAR(20) DEFAULT 'it''s', n INT NOT NULL DEFAULT -7,
		d DECIMAL(5,2) DEFAULT 12.50, f DOUBLE DEFAULT 1.5, e ENUM('a','b') DEFAULT 'b', b BIT(3) DEFAULT b'101',
		ts TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), dt DATE DEFAULT '2024-02-29', u VARCHAR(40) DEFAULT (uuid()),
		nul INT DEFAULT NULL, plain INT)`,
		"INSERT INTO "+tbl+" (id) VALUES (1)")
	src := startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)
	mustExec(t, admin, "INSERT INTO "+tbl+" (id) VALUES (2)",
		"ALTER TABLE "+tbl+" ADD COLUMN extra VARCHAR(20) DEFAULT 'dflt'",
		"INSERT INTO "+tbl+" (id, extra) VALUES (3, NULL)")
	topic := prefix + "." + db + ".t"
	var records []Record
	WaitFor(t, time.Minute, "three records", func() bool { return TopicSize(ctx, env, topic) >= 3 })
	records = ReadTopic(ctx, t, env, topic)
	want := map[string]string{"v": "it's", "n": "-7", "d": "12.50", "f": "1.5", "e": "b", "b": "[5]",
		"ts": "1970-01-01T00:00:00.000Z", "dt": "19782", "u": "<nil>", "nul": "<nil>", "plain": "<nil>"}
	for _, r := range records {
		id := fmt.Sprint(r.KeyValues.Values[0])
		got := map[string]string{}
		for _, f := range r.Event.Row.Fields {
			if f.Name == "id" {
				continue
			}
			if dec, ok := f.Schema.Default.(envelope.Decimal); ok {
				got[f.Name] = dec.String()
			} else {
				got[f.Name] = fmt.Sprint(f.Schema.Default)
			}
		}
		w := maps(want)
		if id == "3" {
			w["extra"] = "dflt"
			if r.Event.After[len(r.Event.After)-1] != nil {
				t.Errorf("row 3: extra is %v, want NULL (the default is the schema's, not the value's)", r.Event.After[len(r.Event.After)-1])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("row %s (%s) defaults:\n got %v\nwant %v", id, r.Event.Op, got, w)
		}
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

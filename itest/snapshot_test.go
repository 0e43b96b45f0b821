//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// snapshotSource runs the source with a file store (so the test can watch the snapshot's progress)
// capturing the tables of db matching include.
func snapshotSource(t *testing.T, env *Env, prefix, db, include, posFile, extra string, args ...string) *Proc {
	t.Helper()
	cfg := fmt.Sprintf(`name: %s
topic_prefix: %s
mysql: {flavor: %s, addr: %s, user: %s, server_id: %d, heartbeat: 1s, read_timeout: 5s}
kafka: {brokers: [%s], partitions: 4}
filters: {include_tables: ['%s\.(%s)']}
offsets: {store: file, file: %s, flush_interval: 100ms}
%s`, prefix, prefix, env.Flavor, env.MySQLA, env.CDCUser, nextServerID.Add(1)+11000, strings.Join(env.KafkaBrokers, ","),
		db, include, posFile, extra)
	if len(args) == 0 {
		args = []string{"run"}
	}
	return Start(t, Binary(t, "source-connector"), []string{"TANDEM_MYSQL_PASSWORD=" + env.CDCPassword},
		append(args, "--config", WriteConfig(t, cfg))...)
}

// savedState reads the source's position file; nil while nothing is saved.
type savedState struct {
	Position struct {
		GTID string `json:"gtid"`
	} `json:"position"`
	Snapshot *struct {
		Total int64 `json:"total"`
	} `json:"snapshot"`
}

func readState(t *testing.T, path string) *savedState {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var s savedState
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("position file %s: %v", path, err)
	}
	return &s
}

// latestRows folds a topic into the latest row per key, rendered by render; deletes and tombstones remove
// the key. It also counts op=r records and the distinct keys they carried.
func latestRows(records []Record, render func(after []any) string) (rows map[string]string, reads, readKeys int) {
	rows = map[string]string{}
	seen := map[string]bool{}
	for _, r := range records { // per partition in offset order: per-key order holds
		key := fmt.Sprint(r.KeyValues.Values)
		switch {
		case r.Event == nil || r.Event.After == nil:
			delete(rows, key)
		default:
			rows[key] = render(r.Event.After)
			if r.Event.Op == 'r' {
				reads++
				seen[key] = true
			}
		}
	}
	return rows, reads, len(seen)
}

// TestSnapshotConsistentUnderWritesAndKills: a table of TANDEM_ITEST_SNAPSHOT_ROWS rows (issue size
// 2,000,000) is snapshotted while a writer changes it, and the source is killed with SIGKILL
// TANDEM_ITEST_SNAPSHOT_KILLS times during the snapshot. After the writer stops and streaming catches up,
// the latest record per key in Kafka equals the table's rows, with no key missing.
func TestSnapshotConsistentUnderWritesAndKills(t *testing.T) {
	env := LoadEnv(t)
	rows := EnvInt("TANDEM_ITEST_SNAPSHOT_ROWS", 200000)
	kills := EnvInt("TANDEM_ITEST_SNAPSHOT_KILLS", 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_snap")
	prefix := UniqueName("snap")
	mustExec(t, admin, "CREATE TABLE `"+db+"`.big (id BIGINT PRIMARY KEY, a INT NOT NULL, b VARCHAR(64))")
	for done := 0; done < rows; done += 100000 {
		mustExec(t, admin, fmt.Sprintf("INSERT INTO `%s`.big SELECT seq, seq %% 1000, CONCAT('row-', seq) FROM %s",
			db, seqRange(done+1, min(done+100000, rows))))
	}

	// The writer changes random rows, inserts new ones and deletes some, one transaction at a time.
	var stop atomic.Bool
	var writes atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, db)
		for !stop.Load() {
			id := rand.IntN(rows+rows/10) + 1
			var err error
			switch rand.IntN(4) {
			case 0, 1:
				_, err = w.Exec("UPDATE big SET a = a + 1, b = CONCAT('upd-', ?) WHERE id = ?", writes.Load(), id)
			case 2:
				_, err = w.Exec("INSERT INTO big VALUES (?, ?, 'new') ON DUPLICATE KEY UPDATE a = a + 7", id, id%1000)
			case 3:
				_, err = w.Exec("DELETE FROM big WHERE id = ?", id)
			}
			if err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			writes.Add(1)
		}
	}()

	posFile := filepath.Join(t.TempDir(), "position.json")
	extra := "snapshot: {chunk_size: 5000, progress_interval: 2s}\nlog: {level: info}\n"
	src := snapshotSource(t, env, prefix, db, "big", posFile, extra)
	for k := 1; k <= kills; k++ {
		target := int64(rows * k / (kills + 1))
		WaitFor(t, 10*time.Minute, fmt.Sprintf("snapshot progress past %d rows before kill %d", target, k), func() bool {
			if src.Exited() {
				t.Fatalf("source exited:\n%s", src.Log())
			}
			s := readState(t, posFile)
			return s != nil && s.Snapshot != nil && s.Snapshot.Total >= target
		})
		src.Kill()
		t.Logf("kill %d at %d acknowledged snapshot rows", k, readState(t, posFile).Snapshot.Total)
		src = snapshotSource(t, env, prefix, db, "big", posFile, extra)
	}
	WaitFor(t, 10*time.Minute, "the snapshot to finish", func() bool {
		if src.Exited() {
			t.Fatalf("source exited:\n%s", src.Log())
		}
		s := readState(t, posFile)
		return s != nil && s.Snapshot == nil
	})
	time.Sleep(time.Second) // writes keep coming while streaming runs
	stop.Store(true)
	wg.Wait()
	final := ServerGTID(t, admin, env.Flavor)
	WaitFor(t, 5*time.Minute, "streaming to catch up with "+final, func() bool {
		s := readState(t, posFile)
		return s != nil && s.Snapshot == nil && s.Position.GTID == final
	})
	if !strings.Contains(src.Log(), "resuming the unfinished snapshot") && kills > 0 {
		t.Errorf("the restarted source did not resume its snapshot:\n%s", src.Log())
	}

	records := ReadTopic(ctx, t, env, prefix+"."+db+".big")
	got, reads, readKeys := latestRows(records, func(after []any) string { return fmt.Sprintf("%v|%v", after[1], after[2]) })
	want := map[string]string{}
	rs, err := admin.QueryContext(ctx, "SELECT id, a, COALESCE(b, '<nil>') FROM `"+db+"`.big")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id, a int64
		var b string
		if err := rs.Scan(&id, &a, &b); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprintf("[%d]", id)] = fmt.Sprintf("%d|%s", a, b)
	}
	rs.Close()
	missing, wrong, extraKeys := 0, 0, 0
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			missing++
		case g != v:
			wrong++
			if wrong < 5 {
				t.Errorf("key %s: Kafka has %s, the table %s", k, g, v)
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extraKeys++
		}
	}
	if missing+wrong+extraKeys > 0 {
		t.Fatalf("%d keys missing in Kafka, %d differ, %d deleted rows still present (of %d rows)", missing, wrong, extraKeys, len(want))
	}
	t.Logf("%d rows, %d concurrent writes, %d kills: Kafka equals the table; %d snapshot records for %d keys (%d rows re-read after the kills)",
		rows, writes.Load(), kills, reads, readKeys, reads-readKeys)
}

// TestSnapshotTypeParity: every type's values encode the same through the snapshot as through the
// binlog: the snapshot's op=r record of a row and the op=c record of the same row inserted again have
// equal schemas and equal after values.
func TestSnapshotTypeParity(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDBWith(t, env.MySQLA, env.AdminUser, env.AdminPassword, "", ZeroDates)
	db := NewDatabase(t, admin, "itest_snaptypes")
	prefix := UniqueName("snaptypes")
	table := "`" + db + "`.types"
	mustExec(t, admin, fmt.Sprintf(typesDDL, table), "INSERT INTO "+table+" VALUES "+strings.Join(typesRows, ", "))
	posFile := filepath.Join(t.TempDir(), "position.json")
	src := snapshotSource(t, env, prefix, db, "types", posFile, "")
	topic := prefix + "." + db + ".types"
	WaitFor(t, 30*time.Second, "the snapshot", func() bool {
		s := readState(t, posFile)
		return s != nil && s.Snapshot == nil && TopicSize(ctx, env, topic) >= int64(len(typesRows))
	})
	mustExec(t, admin, "DELETE FROM "+table, "INSERT INTO "+table+" VALUES "+strings.Join(typesRows, ", "))
	n := len(typesRows) * 3 // r, then d + tombstone, then c
	WaitFor(t, 30*time.Second, "the streamed rows", func() bool { return TopicSize(ctx, env, topic) >= int64(n) })
	src.Stop(30 * time.Second)

	type parts struct {
		Schema  json.RawMessage `json:"schema"`
		Payload struct {
			After json.RawMessage `json:"after"`
			Op    string          `json:"op"`
		} `json:"payload"`
	}
	byOp := map[string]map[string]parts{"r": {}, "c": {}}
	for _, r := range ReadTopic(ctx, t, env, topic) {
		if r.Value == nil {
			continue
		}
		var p parts
		if err := json.Unmarshal(r.Value, &p); err != nil {
			t.Fatal(err)
		}
		if m := byOp[p.Payload.Op]; m != nil {
			m[string(r.Key)] = p
		}
	}
	if len(byOp["r"]) != len(typesRows) || len(byOp["c"]) != len(typesRows) {
		t.Fatalf("%d snapshot and %d streamed records, want %d each", len(byOp["r"]), len(byOp["c"]), len(typesRows))
	}
	for key, r := range byOp["r"] {
		c := byOp["c"][key]
		if string(r.Schema) != string(c.Schema) {
			t.Errorf("key %s: snapshot schema differs from the streamed one:\n%s\n%s", key, r.Schema, c.Schema)
		}
		if string(r.Payload.After) != string(c.Payload.After) {
			t.Errorf("key %s: snapshot value differs from the streamed one:\n%s\n%s", key, r.Payload.After, c.Payload.After)
		}
	}
}

// TestSnapshotModes: initial_only copies and exits 0 (and does nothing on a second run), never copies
// nothing, and when_needed takes a new snapshot when the saved position is gone from the server.
func TestSnapshotModes(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_snapmodes")
	mustExec(t, admin, "CREATE TABLE `"+db+"`.m (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO `"+db+"`.m VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	// markers lists key:op:snapshot of a topic's events in key order.
	markers := func(topic string) []string {
		var out []string
		for _, r := range ReadTopic(ctx, t, env, topic) {
			if r.Event != nil {
				out = append(out, fmt.Sprintf("%v:%c:%s", r.KeyValues.Values[0], r.Event.Op, r.Event.Source.Snapshot))
			}
		}
		sort.Strings(out)
		return out
	}
	waitExit := func(p *Proc) {
		WaitFor(t, 60*time.Second, "the source to exit", p.Exited)
	}

	t.Run("initial_only", func(t *testing.T) {
		prefix := UniqueName("only")
		posFile := filepath.Join(t.TempDir(), "position.json")
		p := snapshotSource(t, env, prefix, db, "m", posFile, "snapshot: {mode: initial_only}\n")
		waitExit(p)
		if p.exitErr != nil {
			t.Fatalf("%v:\n%s", p.exitErr, p.Log())
		}
		got := strings.Join(markers(prefix+"."+db+".m"), " ")
		if want := "1:r:first 2:r:true 3:r:last"; got != want {
			t.Errorf("records %s, want %s", got, want)
		}
		p = snapshotSource(t, env, prefix, db, "m", posFile, "snapshot: {mode: initial_only}\n")
		waitExit(p)
		if !strings.Contains(p.Log(), "nothing to do") || TopicSize(ctx, env, prefix+"."+db+".m") != 3 {
			t.Errorf("a second initial_only run copied again:\n%s", p.Log())
		}
	})
	t.Run("never", func(t *testing.T) {
		prefix := UniqueName("never")
		posFile := filepath.Join(t.TempDir(), "position.json")
		p := snapshotSource(t, env, prefix, db, "m", posFile, "snapshot: {mode: never}\n")
		WaitFor(t, 30*time.Second, "the start position", func() bool { return readState(t, posFile) != nil })
		mustExec(t, admin, "UPDATE `"+db+"`.m SET v = 'x' WHERE id = 1")
		WaitFor(t, 30*time.Second, "the update", func() bool { return TopicSize(ctx, env, prefix+"."+db+".m") >= 1 })
		p.Stop(30 * time.Second)
		if got := strings.Join(markers(prefix+"."+db+".m"), " "); got != "1:u:false" {
			t.Errorf("records %s, want only the update", got)
		}
	})
	t.Run("when_needed", func(t *testing.T) {
		prefix := UniqueName("needed")
		posFile := filepath.Join(t.TempDir(), "position.json")
		set := snapshotSource(t, env, prefix, db, "m", posFile, "", "offsets", "set", "--file", "mariadb-bin.999999", "--pos", "4")
		waitExit(set)
		p := snapshotSource(t, env, prefix, db, "m", posFile, "snapshot: {mode: when_needed}\n")
		WaitFor(t, 30*time.Second, "the new snapshot", func() bool { return TopicSize(ctx, env, prefix+"."+db+".m") >= 3 })
		p.Stop(30 * time.Second)
		if !strings.Contains(p.Log(), "taking a new snapshot") {
			t.Errorf("no new snapshot logged:\n%s", p.Log())
		}
		if s := readState(t, posFile); s == nil || s.Snapshot != nil || s.Position.GTID == "" {
			t.Errorf("saved state after the snapshot: %+v", s)
		}
	})
}

// Package batch turns the records of one partition batch into a plan: per target table, the final action
// for each key, in the order the keys were first touched. Within a batch the last image of a key wins, a
// delete after an upsert wins, and a key change is a delete of the old key plus an upsert of the new one,
// so per-key order is never broken.
package batch

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/sink-connector/internal/config"
	"github.com/tandemcdc/tandem/sink-connector/internal/rowfilter"
)

// Table names a target table.
type Table struct{ DB, Name string }

func (t Table) String() string { return t.DB + "." + t.Name }

// Action is the final state of one key in a batch.
type Action struct {
	Delete  bool
	KeyCols []string
	Key     []any            // Connect values (untyped when the record had no schema)
	KeyRow  *envelope.Schema // the key's struct schema; nil when untyped
	Row     *envelope.Schema // upserts: the row struct; fields with nil schemas when untyped
	Values  []any
	Offset  int64  // of the record that decided it
	Marker  string // the comment its statements start with; "" = the applier's marker
	// Deletes under a conflict policy: the deleted row's image, to delete only an unchanged row.
	Before []any
}

// TablePlan holds the actions of one table, in first-touch order.
type TablePlan struct {
	Table    Table
	Actions  []*Action
	Truncate bool // an op=t came first: TRUNCATE before the actions
	// TruncateOffset is the offset of the op=t record, fenced by the stored offset like every action.
	TruncateOffset int64
	index          map[string]int
}

// Plan is what one batch does to the target.
type Plan struct {
	Tables  []*TablePlan
	byTable map[Table]*TablePlan
	// Counts for metrics.
	Records, Skipped, Tombstones, Filtered int
	LastSourceTime                         time.Time
}

// Bad is a record that cannot be applied: it goes to the dead-letter topic or stops the sink.
type Bad struct {
	Msg kafka.Message
	Err error
}

func (b *Bad) Error() string {
	return fmt.Sprintf("%s[%d]@%d key %s: %s", b.Msg.Topic, b.Msg.Partition, b.Msg.Offset, printable(b.Msg.Key), b.Err)
}

func (b *Bad) Unwrap() error { return b.Err }

func printable(b []byte) string {
	if b == nil {
		return "null"
	}
	if len(b) > 200 {
		return fmt.Sprintf("%q…", b[:200])
	}
	return fmt.Sprintf("%q", b)
}

// Builder decodes records and plans them. It caches parsed schemas and is not safe for concurrent use:
// each partition worker has its own.
type Builder struct {
	Marker     string // records whose source.query starts with it are skipped, when SkipMarked
	SkipMarked bool
	Truncate   bool
	Database   string // routing.database
	Routes     []config.Route
	Origin     *Origins // origin markers instead of the plain marker
	Filter     *rowfilter.Filter
	FilterOn   *regexp.Regexp // tables the filter applies to; nil = all
	Conflict   string         // conflict.column: deletes carry their before image
	cache      *envelope.SchemaCache
	ev         envelope.Event // the record being planned: plans keep its rows and schemas, not the event
	keyBuf     []byte         // the key identity being built (appendKeyIdentity)
}

// NewBuilder returns a builder for the configuration.
func NewBuilder(cfg *config.Config) (*Builder, error) {
	routes, err := cfg.Routes()
	if err != nil {
		return nil, err
	}
	b := &Builder{Marker: cfg.Apply.Marker, SkipMarked: cfg.Apply.SkipMarked, Truncate: cfg.Apply.Truncate,
		Database: cfg.Routing.Database, Routes: routes, Conflict: cfg.Apply.Conflict.Column, cache: envelope.NewSchemaCache(256)}
	if o := cfg.Apply.Origin; o.Node != "" {
		if b.Origin, err = NewOrigins(cfg.Apply.Marker, o.Node, o.SourceNode); err != nil {
			return nil, err
		}
	}
	if cfg.Filter.Where != "" {
		if b.Filter, err = rowfilter.Parse(cfg.Filter.Where); err != nil {
			return nil, err
		}
		if cfg.Filter.Tables != "" {
			if b.FilterOn, err = regexp.Compile("^(?:" + cfg.Filter.Tables + ")$"); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// NewPlan returns an empty plan for Add.
func NewPlan() *Plan { return &Plan{byTable: map[Table]*TablePlan{}} }

// Add decodes one record (the next of its partition, in offset order) into p. A record that cannot be
// decoded or routed returns an error and adds nothing to p's actions. p keeps no reference to m's bytes,
// so the batch's raw records need not stay in memory while it is planned, and their buffer can be reused.
func (b *Builder) Add(p *Plan, m *kafka.Message) error {
	p.Records++
	if err := b.add(p, m); err != nil {
		p.Records--
		return err
	}
	return nil
}

// Build plans msgs (one partition, in offset order). Records that cannot be decoded or routed are
// returned as bad, in order, and left out of the plan.
func (b *Builder) Build(msgs []kafka.Message) (*Plan, []*Bad) {
	p := NewPlan()
	var bad []*Bad
	for i := range msgs {
		if err := b.Add(p, &msgs[i]); err != nil {
			bad = append(bad, &Bad{Msg: msgs[i], Err: err})
		}
	}
	return p, bad
}

func (b *Builder) add(p *Plan, m *kafka.Message) error {
	if len(m.Value) == 0 { // tombstone: the delete before it did the work
		p.Tombstones++
		return nil
	}
	// The before image matters only to conflict-guarded deletes; of the source block, only what routing,
	// loop prevention and the lag metric read.
	ev := &b.ev
	if err := envelope.DecodeEnvelopeJSONTo(ev, m.Value, b.cache, envelope.DecodeOptions{SkipBefore: b.Conflict == "", RoutingSource: true}); err != nil {
		if envelope.MetadataKind(m.Value) != "" {
			// Debezium's schema change, transaction and heartbeat records are not changes: a topics_regex
			// that also matches their topics must not stop the sink.
			p.Skipped++
			return nil
		}
		return fmt.Errorf("undecodable value: %w", err)
	}
	// Echoes (changes a sink wrote) are skipped. Under a conflict policy they are applied instead: the
	// version guard makes an echo of the target's own change a no-op, which ends the loop after one
	// bounce, while a row one side resurrected (an update racing a delete) reaches the other side too.
	marker, echo := "", false
	if b.Origin != nil {
		marker, echo = b.Origin.Marker(ev.Source.Query)
	} else {
		echo = HasMarker(ev.Source.Query, b.Marker)
	}
	if echo && b.SkipMarked && b.Conflict == "" {
		p.Skipped++
		return nil
	}
	if ev.Source.TsMs > 0 {
		p.LastSourceTime = time.UnixMilli(ev.Source.TsMs)
	}
	table, err := b.route(m.Topic, ev)
	if err != nil {
		return err
	}
	if ev.Op == envelope.OpTruncate {
		if !b.Truncate {
			p.Skipped++
			return nil
		}
		// Everything planned for the table before the truncate is moot.
		tp := p.tablePlan(table)
		tp.Actions, tp.index, tp.Truncate, tp.TruncateOffset = nil, map[string]int{}, true, m.Offset
		return nil
	}
	key, err := envelope.DecodeKeyJSON(m.Key, b.cache)
	if err != nil {
		return fmt.Errorf("undecodable key: %w", err)
	}
	if key == nil || len(key.Values) == 0 {
		return fmt.Errorf("record has no key: tandem's sink applies tables with a primary key (or a NOT NULL unique key) only")
	}
	for _, n := range key.Names {
		if !config.ValidIdentifier(n) {
			return fmt.Errorf("key field name %q is not a valid column name", n)
		}
	}
	a := &Action{KeyCols: key.Names, Key: key.Values, KeyRow: key.Schema, Offset: m.Offset, Marker: marker}
	switch ev.Op {
	case envelope.OpDelete:
		a.Delete = true
		if b.Conflict != "" && ev.Before != nil {
			if err := validFields(ev.Row); err != nil {
				return err
			}
			a.Row, a.Before = ev.Row, ev.Before
		}
	case envelope.OpCreate, envelope.OpUpdate, envelope.OpRead:
		if ev.After == nil {
			return fmt.Errorf("op %s without an after image", ev.Op)
		}
		if err := validFields(ev.Row); err != nil {
			return err
		}
		a.Row, a.Values = ev.Row, ev.After
		if b.Filter != nil && (b.FilterOn == nil || b.FilterOn.MatchString(table.String())) {
			keep, err := b.Filter.Match(func(col string) (any, bool) {
				i := ev.Row.FieldIndex(col)
				if i < 0 {
					return nil, false
				}
				return ev.After[i], true
			})
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			if !keep { // outside the subset: make sure the target does not have it
				a.Delete, a.Row, a.Values = true, nil, nil
				p.Filtered++
			}
		}
	default:
		return fmt.Errorf("op %s is not applied", ev.Op)
	}
	tp := p.tablePlan(table)
	b.keyBuf = appendKeyIdentity(b.keyBuf[:0], key.Names, key.Values)
	k := string(b.keyBuf)
	if i, ok := tp.index[k]; ok {
		tp.Actions[i] = a // the last image wins, a later delete wins
	} else {
		tp.index[k] = len(tp.Actions)
		tp.Actions = append(tp.Actions, a)
	}
	return nil
}

// tablePlan returns the plan of table, adding it when the batch has none yet.
func (p *Plan) tablePlan(table Table) *TablePlan {
	tp := p.byTable[table]
	if tp == nil {
		tp = &TablePlan{Table: table, index: map[string]int{}}
		p.byTable[table] = tp
		p.Tables = append(p.Tables, tp)
	}
	return tp
}

func validFields(row *envelope.Schema) error {
	for _, f := range row.Fields {
		if !config.ValidIdentifier(f.Name) {
			return fmt.Errorf("field name %q is not a valid column name", f.Name)
		}
	}
	return nil
}

// route finds the target table: the source block's database and table (else the topic's last two
// parts), the routing.tables rules, then routing.database.
func (b *Builder) route(topic string, ev *envelope.Event) (Table, error) {
	t := Table{DB: ev.Source.DB, Name: ev.Source.Table}
	if t.DB == "" || t.Name == "" {
		parts := strings.Split(topic, ".")
		if len(parts) < 3 {
			return t, fmt.Errorf("no source db/table and topic %q is not <prefix>.<db>.<table>", topic)
		}
		t = Table{DB: parts[len(parts)-2], Name: parts[len(parts)-1]}
	}
	full := t.DB + "." + t.Name
	for _, r := range b.Routes {
		if r.Match.MatchString(full) {
			out := r.Match.ReplaceAllString(full, r.Replace)
			db, name, ok := strings.Cut(out, ".")
			if !ok {
				return t, fmt.Errorf("routing rule %s gives %q, not db.table", r.Match, out)
			}
			t = Table{DB: db, Name: name}
			break
		}
	}
	if b.Database != "" {
		t.DB = b.Database
	}
	if !config.ValidIdentifier(t.DB) || !config.ValidIdentifier(t.Name) {
		return t, fmt.Errorf("target table %q is not a valid name", full)
	}
	return t, nil
}

package apply

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

// paramCounter counts the placeholders of a parsed statement.
type paramCounter struct{ n int }

func (c *paramCounter) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(ast.ParamMarkerExpr); ok {
		c.n++
	}
	return n, false
}

func (c *paramCounter) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// metaFor is the target table a plan's actions would find: a column per field of their rows and keys,
// typed by the field's schema, or for untyped fields by the JSON value (a number, boolean or text column).
func metaFor(tp *batch.TablePlan) *TableMeta {
	m := &TableMeta{Table: tp.Table, quoted: quote(tp.Table.DB) + "." + quote(tp.Table.Name), columns: map[string]*Column{}}
	add := func(name string, s *envelope.Schema, v any) {
		if m.columns[strings.ToLower(name)] != nil {
			return
		}
		if s == nil {
			s = &envelope.Schema{Type: envelope.String, Optional: true}
			switch v.(type) {
			case json.Number:
				s.Type = envelope.Float64
			case bool:
				s.Type = envelope.Boolean
			}
		}
		col := &Column{Name: name, DataType: "varchar", schema: s}
		if s.Type == envelope.String {
			col.Charset = "utf8mb4"
		}
		m.columns[strings.ToLower(name)] = col
	}
	for _, act := range tp.Actions {
		if act.Row != nil {
			for i, f := range act.Row.Fields {
				var v any
				if i < len(act.Values) {
					v = act.Values[i]
				}
				add(f.Name, f.Schema, v)
			}
		}
		for j, k := range act.KeyCols {
			add(k, keySchema(act, j), act.Key[j])
		}
	}
	add("v", nil, nil) // the conflict column of the conflict builder
	return m
}

// checkStmt parses q and checks it is one DELETE or INSERT of table, with a placeholder per argument.
func checkStmt(t *testing.T, q string, args []any, table batch.Table, insert bool) {
	t.Helper()
	nodes, _, err := parser.New().Parse(q, "utf8mb4", "")
	if err != nil {
		t.Fatalf("%.300q does not parse: %v", q, err)
	}
	if len(nodes) != 1 {
		t.Fatalf("%.300q is %d statements", q, len(nodes))
	}
	var refs *ast.TableRefsClause
	switch s := nodes[0].(type) {
	case *ast.DeleteStmt:
		refs = s.TableRefs
	case *ast.InsertStmt:
		refs = s.Table
	}
	var name *ast.TableName
	if refs != nil && refs.TableRefs != nil && refs.TableRefs.Right == nil {
		if src, ok := refs.TableRefs.Left.(*ast.TableSource); ok {
			name, _ = src.Source.(*ast.TableName)
		}
	}
	_, isInsert := nodes[0].(*ast.InsertStmt)
	if name == nil || isInsert != insert || name.Schema.O != table.DB || name.Name.O != table.Name {
		t.Fatalf("%.300q is not one %s of %s", q, map[bool]string{true: "INSERT", false: "DELETE"}[insert], table)
	}
	var c paramCounter
	nodes[0].Accept(&c)
	if c.n != len(args) {
		t.Fatalf("%.300q has %d placeholders for %d arguments", q, c.n, len(args))
	}
}

// FuzzSinkPath runs what the sink does with a record up to the database: decode it with the sink's
// options, plan it with another record of the same key (coalescing), and build and bind its statements,
// with and without a conflict column. Any input is refused with an error or gives statements that parse
// as exactly one DELETE or INSERT of the planned table, with one placeholder per bound argument: nothing
// of the record becomes SQL text other than quoted identifiers.
func FuzzSinkPath(f *testing.F) {
	paths, _ := filepath.Glob("../../../envelope/testdata/*.json")
	ops, _ := filepath.Glob("../../../envelope/testdata/ops/*.json")
	paths = append(paths, ops...)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && !strings.Contains(p, "-key") {
			f.Add([]byte(`{"id":1}`), bytes.TrimSpace(b))
		}
	}
	f.Add([]byte(`{"id":1}`), []byte(`{"before":null,"after":{"id":1,"v":"x"},"source":{"db":"d","table":"t","query":"/* dts */ x"},"op":"c"}`))
	f.Add([]byte(`{"id":"a"}`), []byte(`{"before":{"id":"a","v":"x"},"after":null,"source":{"db":"d","table":"t"},"op":"d"}`))
	f.Add([]byte(`{"ID": 1, "k2": "x"}`), []byte(`{"after":{"id":1,"k2":"x","v":null},"source":{"db":"d","table":"t"},"op":"u"}`))
	f.Add([]byte(nil), []byte(`{"source":{"db":"d","table":"t"},"op":"t"}`))
	plain := config.Default()
	plain.Apply.Truncate = true
	conflict := config.Default()
	conflict.Apply.Conflict.Column = "v"
	f.Fuzz(func(t *testing.T, key, value []byte) {
		for _, cfg := range []*config.Config{plain, conflict} {
			b, err := batch.NewBuilder(cfg)
			if err != nil {
				t.Fatal(err)
			}
			msgs := []kafka.Message{{Topic: "p.d.t", Offset: 0, Key: key, Value: value}, {Topic: "p.d.t", Offset: 1, Key: key, Value: value}}
			p, bad := b.Build(msgs)
			for _, x := range bad {
				if x.Error() == "" {
					t.Fatal("empty error")
				}
			}
			a := &Applier{Marker: "/* dts */", RowsPerStmt: 100, Conflict: cfg.Apply.Conflict.Column}
			for _, tp := range p.Tables {
				meta := metaFor(tp)
				for _, act := range tp.Actions {
					acts := []*batch.Action{act}
					build := a.upsertStmt
					switch {
					case act.Delete && a.Conflict != "" && act.Before != nil:
						build = a.deleteUnchangedStmt
					case act.Delete:
						build = a.deleteStmt
					}
					q, args, err := build(meta, acts)
					insert := !act.Delete
					if err != nil {
						if err.Error() == "" {
							t.Fatal("empty error")
						}
						continue
					}
					checkStmt(t, q, args, tp.Table, insert)
				}
			}
		}
	})
}

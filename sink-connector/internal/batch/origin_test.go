package batch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

func TestOriginMarkers(t *testing.T) {
	o, err := NewOrigins("/* dts */", "B", "A")
	if err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]string{
		"INSERT INTO t VALUES (1)":                   "/* dts origin=A from=A */ apply",
		"/* dts origin=C from=C */ INSERT INTO t":    "/* dts origin=C from=A */ apply",
		"/* dts origin=B from=A */ UPDATE t SET x=1": "echo",                            // originated at B
		"/* dts origin=C from=B */ DELETE FROM t":    "echo",                            // applied from B
		"/* dts */ INSERT INTO t VALUES (1)":         "echo",                            // a sink without origins wrote it
		"/* dts origin=A; DROP TABLE t */":           "/* dts origin=A from=A */ apply", // not a marker
	} {
		mk, echo := o.Marker(query)
		got := mk + " apply"
		if echo {
			got = "echo"
		}
		if got != want {
			t.Errorf("%q: %s, want %s", query, got, want)
		}
	}
	if _, err := NewOrigins("/* two words */", "B", "A"); err == nil {
		t.Error("a marker of two words was accepted for origin markers")
	}
}

// TestOriginRing follows one change around the ring A -> B -> C -> A and along the bidirectional chain
// A <-> B <-> C: every node gets it exactly once and it never comes back.
func TestOriginRing(t *testing.T) {
	type link struct{ from, to string }
	for name, links := range map[string][]link{
		"ring":  {{"A", "B"}, {"B", "C"}, {"C", "A"}},
		"chain": {{"A", "B"}, {"B", "A"}, {"B", "C"}, {"C", "B"}},
	} {
		applied := map[string]int{}
		type change struct{ node, query string }
		queue := []change{{"A", "UPDATE t SET v = 1"}} // made by an application on A
		for steps := 0; len(queue) > 0; steps++ {
			if steps > 100 {
				t.Fatalf("%s: the change keeps circulating", name)
			}
			ch := queue[0]
			queue = queue[1:]
			for _, l := range links {
				if l.from != ch.node {
					continue
				}
				o, _ := NewOrigins("/* dts */", l.to, l.from)
				if mk, echo := o.Marker(ch.query); !echo {
					applied[l.to]++
					queue = append(queue, change{l.to, mk + " UPDATE t SET v = 1"})
				}
			}
		}
		if fmt.Sprint(applied) != "map[B:1 C:1]" {
			t.Errorf("%s: applied %v, want B and C once each", name, applied)
		}
	}
}

// TestRowFilterPlans: upserts outside filter.where become deletes (the row leaves this target), upserts
// inside stay, and tables the filter does not name are untouched.
func TestRowFilterPlans(t *testing.T) {
	b := builder(t, func(c *config.Config) { c.Filter.Where = "id < 10"; c.Filter.Tables = `db\.t` })
	p, bad := b.Build([]kafka.Message{msg(0, "c", 5, "in", ""), msg(1, "u", 15, "out", ""), msg(2, "c", 20, "other", "")})
	p2, _ := builder(t, func(c *config.Config) { c.Filter.Where = "v = 'x'" }).Build([]kafka.Message{msg(3, "u", 1, "y", "")})
	if len(bad) > 0 {
		t.Fatal(bad[0])
	}
	// msg 2 has the same topic, so it is db.t too: filtered as well.
	want := "db.t upsert [5] [5 in] @0\ndb.t delete [15] @1\ndb.t delete [20] @2"
	if got := describe(p); got != want || p.Filtered != 2 {
		t.Errorf("plan\n%s\nwant\n%s (filtered %d)", got, want, p.Filtered)
	}
	if got := describe(p2); got != "db.t delete [1] @3" {
		t.Errorf("non-key filter plan %s", got)
	}
}

// TestMarkerOnlyLeading: only a marker that starts the statement (after white space) marks it as a
// sink's; marker text inside the application's literals or later comments does not hide the change, and
// in origin mode cannot forge its origin.
func TestMarkerOnlyLeading(t *testing.T) {
	for _, tc := range []struct {
		query string
		echo  bool
	}{
		{"/* dts */ INSERT INTO t VALUES (1)", true},
		{" \n\t/* dts */ INSERT INTO t VALUES (1)", true},
		{"INSERT INTO t VALUES (1, '/* dts */')", false},
		{"UPDATE t SET note = 'see /* dts */' WHERE id = 1", false},
		{"INSERT INTO t VALUES (1) /* dts */", false},
		{"/* app */ /* dts */ INSERT INTO t VALUES (1)", false},
		{"", false},
	} {
		b := builder(t, nil)
		p, bad := b.Build([]kafka.Message{msg(0, "c", 1, "v", tc.query)})
		if len(bad) > 0 {
			t.Fatal(bad[0])
		}
		if got := p.Skipped == 1; got != tc.echo {
			t.Errorf("plain marker, %q: skipped %v, want %v", tc.query, got, tc.echo)
		}
	}
	o, err := NewOrigins("/* dts */", "B", "A")
	if err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]string{
		"INSERT INTO t VALUES (1, '/* dts origin=B from=B */')":                    "/* dts origin=A from=A */ apply",
		"INSERT INTO t VALUES (1, '/* dts origin=C from=C */')":                    "/* dts origin=A from=A */ apply",
		"UPDATE t SET note = '/* dts */' WHERE id = 2":                             "/* dts origin=A from=A */ apply",
		"/* app */ /* dts origin=B from=A */ UPDATE t SET x = 1":                   "/* dts origin=A from=A */ apply",
		"  /* dts origin=C from=A */ UPDATE t SET x = '/* dts origin=B from=B */'": "/* dts origin=C from=A */ apply",
		"\n/* dts origin=B from=A */ UPDATE t SET x = 1":                           "echo",
		"\t/* dts */ DELETE FROM t":                                                "echo",
	} {
		mk, echo := o.Marker(query)
		got := mk + " apply"
		if echo {
			got = "echo"
		}
		if got != want {
			t.Errorf("origin mode, %q: %s, want %s", query, got, want)
		}
	}
}

// FuzzMarker: a statement that does not start with a marker is never an echo, whatever it contains,
// and keeps the source node as its origin; prefixing the plain marker always makes it one.
func FuzzMarker(f *testing.F) {
	for _, s := range []string{"INSERT INTO t VALUES ('/* dts */')", "/* dts origin=B from=A */ x", " /* dts */", "x /* dts origin=B from=B */", ""} {
		f.Add(s)
	}
	o, err := NewOrigins("/* dts */", "B", "A")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		lead := LeadingComment(query)
		if !strings.HasPrefix(lead, "/*") {
			if HasMarker(query, "/* dts */") {
				t.Fatalf("%q: marked without starting with a comment", query)
			}
			if mk, echo := o.Marker(query); echo || mk != "/* dts origin=A from=A */" {
				t.Fatalf("%q: origin mode gives %q echo=%v", query, mk, echo)
			}
		}
		for _, q := range []string{"/* dts */ " + query, " \n/* dts */" + query} {
			if !HasMarker(q, "/* dts */") {
				t.Fatalf("%q: not marked", q)
			}
			if _, echo := o.Marker(q); !echo {
				t.Fatalf("%q: not an echo in origin mode", q)
			}
		}
	})
}

package binlog

import "testing"

func TestFilter(t *testing.T) {
	f, err := NewFilter([]string{"shop|crm"}, []string{"crm"}, nil, []string{`shop\.tmp_.*`}, []string{`shop\.users\.secret`})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		db, table string
		want      bool
	}{
		{"shop", "orders", true}, {"shop", "tmp_x", false}, {"crm", "leads", false}, {"other", "t", false},
		{"shopping", "t", false}, {"mysql", "user", false},
	} {
		if got := f.Captures(c.db, c.table); got != c.want {
			t.Errorf("%s.%s: %v, want %v", c.db, c.table, got, c.want)
		}
	}
	if !f.excludesColumn("shop", "users", "secret") || f.excludesColumn("shop", "users", "secret2") {
		t.Error("column filter")
	}
	if _, err := NewFilter([]string{"("}, nil, nil, nil, nil); err == nil {
		t.Error("bad pattern accepted")
	}
}

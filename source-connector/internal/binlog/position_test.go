package binlog

import "testing"

func TestBinaryLogStatusStatement(t *testing.T) {
	for _, c := range []struct{ version, want string }{
		{"9.7.4", "SHOW BINARY LOG STATUS"},
		{"8.4.3", "SHOW BINARY LOG STATUS"},
		{"8.2.0", "SHOW BINARY LOG STATUS"},
		{"8.1.0", "SHOW MASTER STATUS"},
		{"8.0.36-log", "SHOW MASTER STATUS"},
		{"5.7.44-log", "SHOW MASTER STATUS"},
		{"10.0.1", "SHOW BINARY LOG STATUS"},
		{"", "SHOW BINARY LOG STATUS"},
	} {
		if got := BinaryLogStatusStatement(c.version); got != c.want {
			t.Errorf("BinaryLogStatusStatement(%q) = %q, want %q", c.version, got, c.want)
		}
	}
}

package apply

import (
	"reflect"
	"testing"

	"github.com/tandemcdc/tandem/envelope"
)

func TestEnumValues(t *testing.T) {
	if got := enumValues("enum('a','b c','it''s')"); !reflect.DeepEqual(got, []string{"a", "b c", "it's"}) {
		t.Errorf("got %q", got)
	}
}

func TestSQLType(t *testing.T) {
	for _, c := range []struct {
		s    *envelope.Schema
		want string
	}{
		{&envelope.Schema{Type: envelope.Bytes, Name: envelope.DecimalName, Parameters: []envelope.Param{{Key: "scale", Value: "2"}, {Key: "connect.decimal.precision", Value: "10"}}}, "DECIMAL(10,2)"},
		{&envelope.Schema{Type: envelope.Int64, Name: envelope.MicroTimestampName}, "DATETIME(6)"},
		{&envelope.Schema{Type: envelope.String, Name: envelope.EnumName, Parameters: []envelope.Param{{Key: "allowed", Value: "a,it's"}}}, "ENUM('a','it''s')"},
		{&envelope.Schema{Type: envelope.Int16}, "SMALLINT"},
		{&envelope.Schema{Type: envelope.String}, "LONGTEXT"},
	} {
		if got, err := SQLType(c.s); err != nil || got != c.want {
			t.Errorf("%+v: %s %v, want %s", c.s, got, err, c.want)
		}
	}
}

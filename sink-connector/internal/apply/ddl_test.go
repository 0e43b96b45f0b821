package apply

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

func schemaWith(typ envelope.Type, name string, params ...string) *envelope.Schema {
	s := &envelope.Schema{Type: typ, Name: name, Optional: true}
	for i := 0; i+1 < len(params); i += 2 {
		s.Parameters = append(s.Parameters, envelope.Param{Key: params[i], Value: params[i+1]})
	}
	return s
}

func decimalSchema(prec, scale string) *envelope.Schema {
	return schemaWith(envelope.Bytes, envelope.DecimalName, "scale", scale, "connect.decimal.precision", prec)
}

// TestSQLTypeParameters: schema parameters become column types only as bounded integers and safely
// quoted members; anything else is refused with ErrSchemaParameter.
func TestSQLTypeParameters(t *testing.T) {
	for _, tc := range []struct {
		schema *envelope.Schema
		want   string // "" = refused
	}{
		{decimalSchema("10", "2"), "DECIMAL(10,2)"},
		{decimalSchema("65", "30"), "DECIMAL(65,30)"},
		{schemaWith(envelope.Bytes, envelope.DecimalName, "scale", "4"), "DECIMAL(65,4)"},
		{decimalSchema("10,2) NULL, DROP COLUMN balance, ADD COLUMN pwn DECIMAL(10", "2"), ""},
		{decimalSchema("10", "2) NULL, DROP COLUMN balance, ADD COLUMN x INT NULL"), ""},
		{decimalSchema("66", "2"), ""},
		{decimalSchema("0", "0"), ""},
		{decimalSchema("10", "31"), ""},
		{decimalSchema("5", "6"), ""},
		{decimalSchema("+10", "2"), ""},
		{decimalSchema(" 10", "2"), ""},
		{decimalSchema("10", "-1"), ""},
		{decimalSchema("99999999999999999999999", "2"), ""},
		{schemaWith(envelope.Bytes, envelope.DecimalName), ""},
		{schemaWith(envelope.Bytes, envelope.BitsName, "length", "64"), "BIT(64)"},
		{schemaWith(envelope.Bytes, envelope.BitsName, "length", "65"), ""},
		{schemaWith(envelope.Bytes, envelope.BitsName, "length", "8) NULL, DROP COLUMN a, ADD b BIT(8"), ""},
		{schemaWith(envelope.Bytes, envelope.BitsName), ""},
		{schemaWith(envelope.String, envelope.EnumName, "allowed", "a,b'c,d e"), "ENUM('a','b''c','d e')"},
		{schemaWith(envelope.String, envelope.EnumSetName, "allowed", "x,y"), "SET('x','y')"},
		{schemaWith(envelope.String, envelope.EnumName, "allowed", `a\`), ""},
		{schemaWith(envelope.String, envelope.EnumName, "allowed", `a\',b) NULL, DROP COLUMN c, ADD d ENUM('x`), ""},
		{schemaWith(envelope.String, envelope.EnumName, "allowed", "a\x00b"), ""},
		{schemaWith(envelope.String, envelope.EnumName, "allowed", "a\xffb"), ""},
		{schemaWith(envelope.String, envelope.EnumName, "allowed", strings.Repeat("m", 256)), ""},
		{schemaWith(envelope.String, envelope.EnumSetName, "allowed", strings.TrimSuffix(strings.Repeat("m,", 65), ",")), ""},
		{schemaWith(envelope.String, envelope.EnumName), ""},
	} {
		got, err := SQLType(tc.schema)
		if tc.want == "" {
			if err == nil || !errors.Is(err, ErrSchemaParameter) {
				t.Errorf("%v: %q, %v; want ErrSchemaParameter", tc.schema.Parameters, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.schema.Parameters, got, err, tc.want)
		}
	}
}

// parseDDL parses stmt under sql_mode ” and NO_BACKSLASH_ESCAPES and returns its one statement; both
// readings must restore to the same text.
func parseDDL(t *testing.T, stmt string) ast.StmtNode {
	t.Helper()
	var first ast.StmtNode
	var firstText string
	for _, mode := range []mysql.SQLMode{mysql.ModeNone, mysql.ModeNoBackslashEscapes} {
		p := parser.New()
		p.SetSQLMode(mode)
		nodes, _, err := p.Parse(stmt, "utf8mb4", "")
		if err != nil {
			t.Fatalf("sql_mode %d: %q does not parse: %v", mode, stmt, err)
		}
		if len(nodes) != 1 {
			t.Fatalf("sql_mode %d: %q is %d statements", mode, stmt, len(nodes))
		}
		text := describeDDL(nodes[0])
		if first == nil {
			first, firstText = nodes[0], text
		} else if text != firstText {
			t.Fatalf("%q reads differently by sql_mode:\n%s\n%s", stmt, firstText, text)
		}
	}
	return first
}

// describeDDL prints what a column definition statement does: its kind, and per column the name, type,
// length, scale, members and options.
func describeDDL(n ast.StmtNode) string {
	col := func(c *ast.ColumnDef) string {
		var opts []string
		for _, o := range c.Options {
			opts = append(opts, strconv.Itoa(int(o.Tp)))
		}
		return fmt.Sprintf("%s %d(%d,%d)%q%v", c.Name.Name.O, c.Tp.GetType(), c.Tp.GetFlen(), c.Tp.GetDecimal(), c.Tp.GetElems(), opts)
	}
	switch s := n.(type) {
	case *ast.AlterTableStmt:
		out := fmt.Sprintf("alter %s.%s", s.Table.Schema.O, s.Table.Name.O)
		for _, sp := range s.Specs {
			out += fmt.Sprintf(" spec %d ifnotexists=%v", sp.Tp, sp.IfNotExists)
			for _, c := range sp.NewColumns {
				out += " " + col(c)
			}
		}
		return out
	case *ast.CreateTableStmt:
		out := fmt.Sprintf("create %s.%s", s.Table.Schema.O, s.Table.Name.O)
		for _, c := range s.Cols {
			out += " " + col(c)
		}
		for _, c := range s.Constraints {
			out += fmt.Sprintf(" constraint %d %d", c.Tp, len(c.Keys))
		}
		return out
	}
	return fmt.Sprintf("%T", n)
}

// checkColumn asserts that a parsed column definition is exactly field f: its name, and the type, numbers
// and members SQLType chose.
func checkColumn(t *testing.T, stmt string, c *ast.ColumnDef, f envelope.Field) {
	t.Helper()
	if c.Name.Name.O != f.Name {
		t.Fatalf("%q: column %q, want %q", stmt, c.Name.Name.O, f.Name)
	}
	for _, o := range c.Options {
		if o.Tp != ast.ColumnOptionNull && o.Tp != ast.ColumnOptionNotNull {
			t.Fatalf("%q: column %s has option %d", stmt, f.Name, o.Tp)
		}
	}
	switch f.Schema.Name {
	case envelope.DecimalName:
		prec, scale := 65, 0
		if v, ok := f.Schema.Param("connect.decimal.precision"); ok {
			prec, _ = strconv.Atoi(v)
		}
		v, _ := f.Schema.Param("scale")
		scale, _ = strconv.Atoi(v)
		if c.Tp.GetType() != mysql.TypeNewDecimal || c.Tp.GetFlen() != prec || c.Tp.GetDecimal() != scale {
			t.Fatalf("%q: %s is %s, want DECIMAL(%d,%d)", stmt, f.Name, c.Tp, prec, scale)
		}
	case envelope.BitsName:
		v, _ := f.Schema.Param("length")
		n, _ := strconv.Atoi(v)
		if c.Tp.GetType() != mysql.TypeBit || c.Tp.GetFlen() != n {
			t.Fatalf("%q: %s is %s, want BIT(%d)", stmt, f.Name, c.Tp, n)
		}
	case envelope.EnumName, envelope.EnumSetName:
		want := mysql.TypeEnum
		if f.Schema.Name == envelope.EnumSetName {
			want = mysql.TypeSet
		}
		allowed, _ := f.Schema.Param("allowed")
		members := strings.Split(allowed, ",")
		for i, m := range members { // MySQL drops the trailing spaces of members, and so does the parser
			members[i] = strings.TrimRight(m, " ")
		}
		if c.Tp.GetType() != want || !slices.Equal(c.Tp.GetElems(), members) {
			t.Fatalf("%q: %s is %s %q, want members %q", stmt, f.Name, c.Tp, c.Tp.GetElems(), allowed)
		}
	}
}

// FuzzSchemaDDL: whatever a record's schema says (column name, decimal precision and scale, BIT length,
// ENUM and SET members), the DDL the sink makes of it is refused with ErrSchemaParameter, or parses (with
// and without NO_BACKSLASH_ESCAPES, alike) as exactly one ALTER TABLE … ADD COLUMN of that one column, or
// one CREATE TABLE of exactly the record's columns and primary key, with the intended types.
func FuzzSchemaDDL(f *testing.F) {
	f.Add("balance", "10,2) NULL, DROP COLUMN balance, ADD COLUMN pwn DECIMAL(10", "2", "8", "a,b", "x,y")
	f.Add("c", "10", "2", "64", `a\`, `x\',y`)
	f.Add("weird name ' \" ) --", "65", "30", "1", "it''s,a b,", "")
	f.Add("e", "12", "0", "2", "/*,*/,--,#,;", "a\x00")
	f.Fuzz(func(t *testing.T, name, prec, scale, bits, enum, set string) {
		if !config.ValidIdentifier(name) || name == "id" || strings.EqualFold(name, "id") {
			return // the planner refuses such names; id is the key column below
		}
		fields := []envelope.Field{
			{Name: name, Schema: decimalSchema(prec, scale)},
			{Name: name, Schema: schemaWith(envelope.Bytes, envelope.BitsName, "length", bits)},
			{Name: name, Schema: schemaWith(envelope.String, envelope.EnumName, "allowed", enum)},
			{Name: name, Schema: schemaWith(envelope.String, envelope.EnumSetName, "allowed", set)},
		}
		key := envelope.Field{Name: "id", Schema: &envelope.Schema{Type: envelope.Int64}}
		for _, fd := range fields {
			stmt, err := addColumnStmt("/* dts */", "`db`.`t`", fd)
			if err != nil {
				if !errors.Is(err, ErrSchemaParameter) {
					t.Fatalf("%v: error %v does not wrap ErrSchemaParameter", fd.Schema.Parameters, err)
				}
				continue
			}
			alter, ok := parseDDL(t, stmt).(*ast.AlterTableStmt)
			if !ok || len(alter.Specs) != 1 || alter.Specs[0].Tp != ast.AlterTableAddColumns ||
				len(alter.Specs[0].NewColumns) != 1 || alter.Table.Schema.O != "db" || alter.Table.Name.O != "t" {
				t.Fatalf("%q is not one ADD COLUMN on db.t", stmt)
			}
			checkColumn(t, stmt, alter.Specs[0].NewColumns[0], fd)

			row := &envelope.Schema{Type: envelope.Struct, Fields: []envelope.Field{key, fd}}
			stmt, err = createTableStmt("/* dts */", batch.Table{DB: "db", Name: "t"}, row, []string{"id"})
			if err != nil {
				t.Fatalf("the column type was accepted for ADD COLUMN, not for CREATE TABLE: %v", err)
			}
			create, ok := parseDDL(t, stmt).(*ast.CreateTableStmt)
			if !ok || len(create.Cols) != 2 || len(create.Constraints) != 1 || create.Constraints[0].Tp != ast.ConstraintPrimaryKey ||
				len(create.Constraints[0].Keys) != 1 || create.Constraints[0].Keys[0].Column.Name.O != "id" ||
				create.Table.Schema.O != "db" || create.Table.Name.O != "t" || create.Cols[0].Name.Name.O != "id" {
				t.Fatalf("%q is not the CREATE TABLE db.t (id, %s, PRIMARY KEY (id))", stmt, name)
			}
			checkColumn(t, stmt, create.Cols[1], fd)
		}
	})
}

// TestStmtRows: statements take up to rows_per_statement rows and no more values than statement_bytes,
// but always at least one row.
func TestStmtRows(t *testing.T) {
	act := func(size int) *batch.Action {
		return &batch.Action{Key: []any{int32(1)}, Values: []any{int32(1), strings.Repeat("x", size)}}
	}
	small := []*batch.Action{act(10), act(10), act(10), act(10)}
	big := []*batch.Action{act(1000), act(1000), act(1000)}
	for _, tc := range []struct {
		acts              []*batch.Action
		rows, bytes, want int
	}{
		{small, 1000, 1 << 20, 4},
		{small, 3, 1 << 20, 3},
		{big, 1000, 2100, 2},
		{big, 1000, 500, 1},
		{big, 1000, 0, 3},
	} {
		if got := stmtRows(tc.acts, tc.rows, tc.bytes); got != tc.want {
			t.Errorf("%d rows of %d, rows %d bytes %d: %d, want %d", len(tc.acts), len(tc.acts[0].Values[1].(string)), tc.rows, tc.bytes, got, tc.want)
		}
	}
}

package apply

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
)

// ErrSchemaParameter is returned for a record schema whose parameters cannot become a column type: a
// number out of MySQL's range or not a number, an ENUM or SET member that cannot be quoted safely. Such a
// record is a data error (dead-lettered or stopping the sink); nothing of it reaches the target.
var ErrSchemaParameter = errors.New("schema parameter cannot make a column type")

// MySQL's limits on the column types the sink creates.
const (
	maxDecimalPrecision = 65
	maxDecimalScale     = 30
	maxBitLength        = 64
	maxEnumMembers      = 65535
	maxSetMembers       = 64
	maxMemberChars      = 255
)

// SQLType is the MySQL column type for a Connect field schema, for tables and columns the sink creates.
// Every number in it is parsed from the schema as a bounded integer and printed again, and every ENUM or
// SET member is a string literal that reads the same with and without NO_BACKSLASH_ESCAPES: nothing of a
// record's schema parameters reaches the statement as text of its own. A parameter that does not fit
// returns an error wrapping ErrSchemaParameter.
func SQLType(s *envelope.Schema) (string, error) {
	switch s.Name {
	case envelope.DecimalName:
		return decimalType(s)
	case envelope.DateName, envelope.ConnectDateName:
		return "DATE", nil
	case envelope.TimestampName, envelope.ConnectTimestamp:
		return "DATETIME(3)", nil
	case envelope.MicroTimestampName, envelope.NanoTimestampName:
		return "DATETIME(6)", nil
	case envelope.MicroTimeName, envelope.NanoTimeName, envelope.TimeName, envelope.ConnectTimeName:
		return "TIME(6)", nil
	case envelope.ZonedTimestampName:
		return "TIMESTAMP(6) NULL", nil
	case envelope.YearName:
		return "YEAR", nil
	case envelope.JSONName:
		return "JSON", nil
	case envelope.EnumName, envelope.EnumSetName:
		return enumType(s)
	case envelope.BitsName:
		n, err := intParam(s, "length", 1, maxBitLength, -1)
		if err != nil {
			return "", err
		}
		return "BIT(" + strconv.Itoa(n) + ")", nil
	case envelope.GeometryName, envelope.PointName:
		return "GEOMETRY", nil
	}
	switch s.Type {
	case envelope.Int8, envelope.Int16:
		return "SMALLINT", nil
	case envelope.Int32:
		return "INT", nil
	case envelope.Int64:
		return "BIGINT", nil
	case envelope.Float32:
		return "FLOAT", nil
	case envelope.Float64:
		return "DOUBLE", nil
	case envelope.Boolean:
		return "TINYINT(1)", nil
	case envelope.String:
		return "LONGTEXT", nil
	case envelope.Bytes:
		return "LONGBLOB", nil
	}
	return "", fmt.Errorf("no column type for schema %s", s.Type)
}

// decimalType is DECIMAL(precision, scale): precision 1..65 (65 when the schema has none, as for
// Debezium's precise decimals of unknown precision), scale 0..30 and at most the precision.
func decimalType(s *envelope.Schema) (string, error) {
	scale, err := intParam(s, "scale", 0, maxDecimalScale, -1)
	if err != nil {
		return "", err
	}
	prec, err := intParam(s, "connect.decimal.precision", 1, maxDecimalPrecision, maxDecimalPrecision)
	if err != nil {
		return "", err
	}
	if scale > prec {
		return "", fmt.Errorf("%w: decimal scale %d is larger than its precision %d", ErrSchemaParameter, scale, prec)
	}
	return "DECIMAL(" + strconv.Itoa(prec) + "," + strconv.Itoa(scale) + ")", nil
}

// intParam reads parameter key as a decimal integer in [lo, hi]; def is used when it is absent (def < 0:
// it is required).
func intParam(s *envelope.Schema, key string, lo, hi, def int) (int, error) {
	v, ok := s.Param(key)
	if !ok {
		if def < 0 {
			return 0, fmt.Errorf("%w: %s has no %s", ErrSchemaParameter, s.Name, key)
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%w: %s %s = %.40q, want an integer from %d to %d", ErrSchemaParameter, s.Name, key, v, lo, hi)
	}
	return n, nil
}

// enumType is ENUM('a','b') or SET('a','b') from the schema's allowed members. A member is written
// between single quotes with each quote doubled, which MySQL and MariaDB read the same under every
// sql_mode as long as the member holds no backslash (an escape character unless NO_BACKSLASH_ESCAPES is
// set). Members with a backslash, a control character (NUL among them) or invalid UTF-8 are refused.
func enumType(s *envelope.Schema) (string, error) {
	kind, most := "ENUM", maxEnumMembers
	if s.Name == envelope.EnumSetName {
		kind, most = "SET", maxSetMembers
	}
	allowed, ok := s.Param("allowed")
	if !ok {
		return "", fmt.Errorf("%w: %s has no allowed members", ErrSchemaParameter, s.Name)
	}
	members := strings.Split(allowed, ",")
	if len(members) > most {
		return "", fmt.Errorf("%w: %s has %d members; MySQL allows %d", ErrSchemaParameter, kind, len(members), most)
	}
	var b strings.Builder
	b.WriteString(kind + "(")
	for i, m := range members {
		if err := checkMember(m); err != nil {
			return "", fmt.Errorf("%w: %s member %d %.40q: %w", ErrSchemaParameter, kind, i+1, m, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("'" + strings.ReplaceAll(m, "'", "''") + "'")
	}
	b.WriteString(")")
	return b.String(), nil
}

func checkMember(m string) error {
	if !utf8.ValidString(m) {
		return errors.New("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(m); n > maxMemberChars {
		return fmt.Errorf("%d characters; MySQL allows %d", n, maxMemberChars)
	}
	for _, r := range m {
		if r == '\\' {
			return errors.New("a backslash cannot be quoted the same way under every sql_mode")
		}
		if r < 0x20 || r == 0x7f {
			return errors.New("a control character")
		}
	}
	return nil
}

// createTableStmt is the CREATE TABLE for table from an upsert's row schema, keyed by keyCols. Names are
// valid identifiers (checked when the record was planned) and are quoted.
func createTableStmt(marker string, table batch.Table, row *envelope.Schema, keyCols []string) (string, error) {
	isKey := map[string]bool{}
	for _, k := range keyCols {
		isKey[k] = true
	}
	var defs []string
	for _, f := range row.Fields {
		typ, err := SQLType(f.Schema)
		if err != nil {
			return "", fmt.Errorf("create %s: column %s: %w", table, f.Name, err)
		}
		if isKey[f.Name] { // key columns need a bounded length
			switch typ {
			case "LONGTEXT":
				typ = "VARCHAR(255)"
			case "LONGBLOB":
				typ = "VARBINARY(255)"
			}
		}
		null := " NULL"
		if !f.Schema.Optional {
			null = " NOT NULL"
		}
		if strings.HasSuffix(typ, " NULL") {
			typ, null = strings.TrimSuffix(typ, " NULL"), " NULL"
		}
		defs = append(defs, quote(f.Name)+" "+typ+null)
	}
	keys := make([]string, len(keyCols))
	for i, k := range keyCols {
		keys[i] = quote(k)
	}
	defs = append(defs, "PRIMARY KEY ("+strings.Join(keys, ", ")+")")
	return marker + " CREATE TABLE IF NOT EXISTS " + quote(table.DB) + "." + quote(table.Name) +
		" (\n  " + strings.Join(defs, ",\n  ") + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", nil
}

// addColumnStmt is the ALTER TABLE that adds a nullable column for field f to the table quotedTable.
func addColumnStmt(marker, quotedTable string, f envelope.Field) (string, error) {
	typ, err := SQLType(f.Schema)
	if err != nil {
		return "", err
	}
	return marker + " ALTER TABLE " + quotedTable + " ADD COLUMN " + quote(f.Name) + " " + typ + " NULL", nil
}

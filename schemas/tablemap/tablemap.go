// Package tablemap reads column metadata out of binlog TABLE_MAP events (go-mysql's replication package)
// into schemas.Column values. It needs binlog_row_metadata=FULL: column names, the primary key,
// signedness, ENUM/SET members and character sets only travel with it.
//
// It is separate from package schemas so that the sink, which never reads a binlog, does not link the
// replication package.
package tablemap

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser/charset"

	"github.com/tandemcdc/tandem/schemas"
)

// binaryCollation is the collation id of the binary character set.
const binaryCollation = 63

// Columns returns the columns of the table a TABLE_MAP event describes, and the names of its primary key
// columns in key order. jsonColumns names the columns that information_schema says are JSON: on MariaDB a
// JSON column is a LONGTEXT in the binlog, and nothing in the event tells the two apart.
func Columns(ev *replication.TableMapEvent, jsonColumns map[string]bool) ([]schemas.Column, []string, error) {
	names := ev.ColumnNameString()
	if len(names) != int(ev.ColumnCount) {
		return nil, nil, fmt.Errorf("table %s.%s: the binlog carries no column names; set binlog_row_metadata=FULL (global) on the server",
			ev.Schema, ev.Table)
	}
	unsigned := ev.UnsignedMap()
	collations := ev.CollationMap()
	enums := ev.EnumStrValueMap()
	sets := ev.SetStrValueMap()
	geometries := ev.GeometryTypeMap()

	cols := make([]schemas.Column, len(names))
	for i, name := range names {
		c := schemas.Column{Name: name, Unsigned: unsigned[i]}
		if _, nullable := ev.Nullable(i); nullable {
			c.Nullable = true
		}
		coll, hasColl := collations[i]
		if hasColl {
			c.Charset = charsetOf(coll)
		}
		binary := hasColl && coll == binaryCollation
		meta := ev.ColumnMeta[i]
		switch t := ev.ColumnType[i]; t {
		case mysql.MYSQL_TYPE_TINY:
			c.DataType = "tinyint"
		case mysql.MYSQL_TYPE_SHORT:
			c.DataType = "smallint"
		case mysql.MYSQL_TYPE_INT24:
			c.DataType = "mediumint"
		case mysql.MYSQL_TYPE_LONG:
			c.DataType = "int"
		case mysql.MYSQL_TYPE_LONGLONG:
			c.DataType = "bigint"
		case mysql.MYSQL_TYPE_FLOAT:
			c.DataType = "float"
		case mysql.MYSQL_TYPE_DOUBLE:
			c.DataType = "double"
		case mysql.MYSQL_TYPE_NEWDECIMAL:
			c.DataType, c.Precision, c.Scale = "decimal", int(meta>>8), int(meta&0xff)
		case mysql.MYSQL_TYPE_BIT:
			c.DataType, c.Length = "bit", int(meta>>8)*8+int(meta&0xff)
		case mysql.MYSQL_TYPE_YEAR:
			c.DataType = "year"
		case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
			c.DataType = "date"
		case mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
			c.DataType, c.FSP = "time", fsp(t, meta)
		case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_DATETIME2:
			c.DataType, c.FSP = "datetime", fsp(t, meta)
		case mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
			c.DataType, c.FSP = "timestamp", fsp(t, meta)
		case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING:
			c.DataType, c.Length = pickType(binary, "varbinary", "varchar"), int(meta)
		case mysql.MYSQL_TYPE_STRING:
			real, length := stringRealType(meta)
			switch real {
			case mysql.MYSQL_TYPE_ENUM:
				c.DataType, c.Values = "enum", enums[i]
			case mysql.MYSQL_TYPE_SET:
				c.DataType, c.Values = "set", sets[i]
			default:
				c.DataType, c.Length = pickType(binary, "binary", "char"), length
			}
		case mysql.MYSQL_TYPE_BLOB, mysql.MYSQL_TYPE_TINY_BLOB, mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB:
			switch {
			case jsonColumns[name]:
				c.DataType = "json"
			case binary:
				c.DataType = "blob"
			default:
				c.DataType = "text"
			}
		case mysql.MYSQL_TYPE_JSON:
			c.DataType = "json"
		case mysql.MYSQL_TYPE_GEOMETRY:
			c.DataType = "geometry"
			if geometries[i] == 1 {
				c.DataType = "point"
			}
		default:
			return nil, nil, fmt.Errorf("table %s.%s column %s: binlog type %d is not supported", ev.Schema, ev.Table, name, t)
		}
		cols[i] = c
	}
	var key []string
	for _, p := range ev.PrimaryKey {
		if int(p) >= len(names) {
			return nil, nil, fmt.Errorf("table %s.%s: primary key column %d out of range", ev.Schema, ev.Table, p)
		}
		key = append(key, names[p])
	}
	return cols, key, nil
}

func pickType(binary bool, yes, no string) string {
	if binary {
		return yes
	}
	return no
}

// fsp is the fraction digits of a temporal column: the metadata of the v2 types, 0 for the old ones.
func fsp(t byte, meta uint16) int {
	switch t {
	case mysql.MYSQL_TYPE_TIME2, mysql.MYSQL_TYPE_DATETIME2, mysql.MYSQL_TYPE_TIMESTAMP2:
		return int(meta)
	}
	return 0
}

// stringRealType decodes the metadata of a MYSQL_TYPE_STRING column: the real type (CHAR, ENUM, SET)
// and the maximum length in bytes, whose high bits MySQL folds into the type byte.
func stringRealType(meta uint16) (byte, int) {
	b0, b1 := byte(meta>>8), int(meta&0xff)
	if b0&0x30 != 0x30 {
		return b0 | 0x30, b1 | ((int(b0&0x30) ^ 0x30) << 4)
	}
	return b0, b1
}

// charsetOf names the character set of a collation id; unknown ids (newer MariaDB collations) are read
// as UTF-8.
func charsetOf(id uint64) string {
	if id == binaryCollation {
		return "binary"
	}
	if c, err := charset.GetCollationByID(int(id)); err == nil {
		return c.CharsetName
	}
	return "utf8mb4"
}

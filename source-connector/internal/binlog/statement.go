package binlog

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-mysql-org/go-mysql/replication"
)

// statementAdvice says what to do about DML logged as statements.
const statementAdvice = "the writing session has binlog_format=STATEMENT or MIXED (SET SESSION binlog_format), " +
	"which logs DML as statements without rows; tandem reads row events only. Set binlog_format=ROW globally and in " +
	"every writing session. The source stops before this statement; to go on, move it past the statement with " +
	"`source-connector offsets set` and copy the rows the statement changed again"

// statementDML refuses DML logged as a statement (a session with binlog_format=STATEMENT or MIXED) when
// it may change a captured table: its rows are not in the binlog, so publishing nothing would lose them.
// DML whose target table cannot be read from the text is refused too.
func (r *Reader) statementDML(st *state, e *replication.QueryEvent, q string) error {
	verb, rest := firstWord(q)
	var db, table string
	ok := false
	switch verb {
	case "INSERT", "REPLACE", "UPDATE", "DELETE":
		db, table, ok = dmlTarget(verb, rest, string(e.Schema))
	case "WITH", "SELECT", "DO":
		// WITH … UPDATE/DELETE; SELECT f() or DO f() of a stored function that writes (the server logs the
		// call, not the statements in it): the tables are not in the text.
	default:
		return nil
	}
	if ok && !r.tables.filter.Captures(db, table) {
		return nil
	}
	target := "tables it does not name plainly"
	if ok {
		target = db + "." + table
	}
	return fmt.Errorf("%w: %s of %s logged as a statement at %s:%d (GTID %s): %.200q: %s",
		ErrUnsupported, verb, target, st.file, st.lastPos, st.gtid, q, statementAdvice)
}

// firstWord returns the first word of s in upper case, after white space and comments, and the rest.
func firstWord(s string) (word, rest string) {
	s = skipSpace(s)
	i := 0
	for i < len(s) && (isIdentByte(s[i])) {
		i++
	}
	return strings.ToUpper(s[:i]), s[i:]
}

// skipSpace drops leading white space and comments (/* */, -- and #), and the opening of an executable
// comment.
func skipSpace(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "/*!") || strings.HasPrefix(s, "/*M!"):
			// An executable comment (/*!40000 … */, MariaDB's /*M!100100 … */) is statement text: only
			// its opening and version number go.
			s = strings.TrimLeft(s[strings.IndexByte(s, '!')+1:], "0123456789")
			return strings.TrimLeft(s, " \t\r\n")
		case strings.HasPrefix(s, "/*"):
			end := strings.Index(s[2:], "*/")
			if end < 0 {
				return ""
			}
			s = s[end+4:]
		case strings.HasPrefix(s, "-- "), strings.HasPrefix(s, "#"):
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return ""
			}
			s = s[end+1:]
		default:
			return s
		}
	}
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// dmlTarget reads the table a single-table INSERT, REPLACE, UPDATE or DELETE changes; ok is false when the
// statement changes several tables or its text is not understood.
func dmlTarget(verb, rest, defaultDB string) (db, table string, ok bool) {
	word, after := firstWord(rest)
	for word == "LOW_PRIORITY" || word == "DELAYED" || word == "HIGH_PRIORITY" || word == "IGNORE" || word == "QUICK" {
		rest = after
		word, after = firstWord(rest)
	}
	switch verb {
	case "INSERT", "REPLACE":
		if word == "INTO" {
			rest = after
		}
	case "DELETE":
		if word != "FROM" {
			return "", "", false // DELETE t1, t2 FROM …
		}
		rest = after
	}
	db, table, rest, ok = tableName(rest, defaultDB)
	if !ok {
		return "", "", false
	}
	next, _ := firstWord(rest)
	switch verb {
	case "UPDATE":
		ok = next == "SET" // an alias, a join or a list of tables: several tables
	case "DELETE":
		switch next {
		case "", "WHERE", "ORDER", "LIMIT", "PARTITION", "RETURNING":
		default:
			ok = false // USING, a join or a list of tables
		}
		if strings.HasPrefix(skipSpace(rest), ",") {
			ok = false
		}
	}
	return db, table, ok
}

// tableName reads [db.]table at the start of s, each part plain or in backquotes.
func tableName(s, defaultDB string) (db, table, rest string, ok bool) {
	first, rest, ok := identifier(skipSpace(s))
	if !ok {
		return "", "", s, false
	}
	if strings.HasPrefix(rest, ".") {
		second, rest2, ok := identifier(rest[1:])
		if !ok {
			return "", "", s, false
		}
		return first, second, rest2, true
	}
	return defaultDB, first, rest, defaultDB != ""
}

func identifier(s string) (name, rest string, ok bool) {
	if strings.HasPrefix(s, "`") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i++
					continue
				}
				return b.String(), s[i+1:], b.Len() > 0
			}
			b.WriteByte(s[i])
		}
		return "", s, false
	}
	i := 0
	for i < len(s) && isIdentByte(s[i]) {
		i++
	}
	return s[:i], s[i:], i > 0
}

// boundQuery cuts a statement text longer than max bytes (0: no bound), keeping a leading comment whole
// (loop prevention reads it) and ending on a character boundary; a note of how much was cut ends it. The
// result is at most max bytes unless the leading comment alone is longer.
func boundQuery(q string, max int) string {
	if max <= 0 || len(q) <= max {
		return q
	}
	keep := 0
	lead := len(q) - len(strings.TrimLeft(q, " \t\r\n"))
	if strings.HasPrefix(q[lead:], "/*") {
		if end := strings.Index(q[lead+2:], "*/"); end >= 0 {
			keep = lead + 2 + end + 2
		}
	}
	const room = 80 // for the note
	cut := max - room
	if cut < keep {
		cut = keep
	}
	for cut > keep && !utf8.RuneStart(q[cut]) {
		cut--
	}
	return fmt.Sprintf("%s /* %d more bytes cut by tandem (events.max_query_bytes) */", q[:cut], len(q)-cut)
}

// wholeImage refuses a rows event that lacks captured columns: a session with binlog_row_image=MINIMAL or
// NOBLOB logs partial rows, and publishing them would write NULL for what is missing.
func wholeImage(tb *Table, e *replication.RowsEvent, kind Kind, file string, pos uint32) error {
	check := func(bitmap []byte, image string) error {
		for j, k := range tb.Keep {
			if k/8 >= len(bitmap) || bitmap[k/8]&(1<<(k%8)) == 0 {
				return fmt.Errorf("%w: %s.%s at %s:%d: the %s lacks column %s: the writing session has binlog_row_image=MINIMAL "+
					"or NOBLOB (SET SESSION binlog_row_image), which logs rows without some of their columns; tandem publishes whole "+
					"rows only, so it stops rather than publish NULL for them. Set binlog_row_image=FULL globally and in every writing "+
					"session; to go on past this event, move the source with `source-connector offsets set` and copy the rows it changed again",
					ErrUnsupported, tb.DB, tb.Name, file, pos, image, tb.Columns[j].Name)
			}
		}
		return nil
	}
	image := "row image"
	if kind == Update {
		image = "before image"
	}
	if err := check(e.ColumnBitmap1, image); err != nil {
		return err
	}
	if kind == Update {
		return check(e.ColumnBitmap2, "after image")
	}
	return nil
}

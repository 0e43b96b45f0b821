package envelope

import (
	"fmt"
	"math"
	"strconv"
)

// tsField picks the envelope timestamp a payload member names.
func tsField(e *Envelope, key []byte) *int64 {
	switch string(key) {
	case "ts_ms":
		return &e.TsMs
	case "ts_us":
		return &e.TsUs
	}
	return &e.TsNs
}

func parseOpField(s *scanner, op *Op) error {
	text, err := s.str()
	if err != nil {
		return err
	}
	*op, err = ParseOp(text)
	return err
}

func parseOptInt(s *scanner, dst *int64) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	n, err := s.integer(64)
	*dst = n
	return err
}

func parseOptString(s *scanner, dst *string) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	v, err := s.str()
	*dst = v
	return err
}

// parseRepeatedString is parseOptString for values most messages share (names, files): interned.
func parseRepeatedString(s *scanner, dst *string) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	v, err := s.internedStr()
	*dst = v
	return err
}

// parseSource reads the source block by field name; fields it does not know are skipped, so other
// connectors' blocks and newer Debezium versions read too. A boolean snapshot (very old Debezium) becomes
// "true" or "false". With routingOnly, only db, table, ts_ms and query are read.
func parseSource(s *scanner, src *Source, routingOnly bool) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	return s.object(func(k []byte) error {
		var err error
		name := string(k)
		if routingOnly && name != "db" && name != "table" && name != "ts_ms" && name != "query" {
			name = "" // skipped below
		}
		switch name {
		case "version":
			err = parseRepeatedString(s, &src.Version)
		case "connector":
			err = parseRepeatedString(s, &src.Connector)
		case "name":
			err = parseRepeatedString(s, &src.Name)
		case "ts_ms":
			err = parseOptInt(s, &src.TsMs)
		case "snapshot":
			if c := s.peek(); c == 't' || c == 'f' {
				var b bool
				b, err = s.boolean()
				src.Snapshot = strconv.FormatBool(b)
			} else {
				err = parseOptString(s, &src.Snapshot)
			}
		case "db":
			err = parseRepeatedString(s, &src.DB)
		case "sequence":
			err = parseOptString(s, &src.Sequence)
		case "ts_us":
			err = parseOptInt(s, &src.TsUs)
		case "ts_ns":
			err = parseOptInt(s, &src.TsNs)
		case "table":
			err = parseRepeatedString(s, &src.Table)
		case "server_id":
			err = parseOptInt(s, &src.ServerID)
		case "gtid":
			err = parseOptString(s, &src.GTID)
		case "file":
			err = parseRepeatedString(s, &src.File)
		case "pos":
			err = parseOptInt(s, &src.Pos)
		case "row":
			var n int64
			err = parseOptInt(s, &n)
			if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
				err = s.errorf("row %d is out of range", n)
			}
			src.Row = int32(n)
		case "thread":
			err = parseOptInt(s, &src.Thread)
		case "query":
			err = parseOptString(s, &src.Query)
		default:
			_, err = s.raw()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		return nil
	})
}

func parseTransaction(s *scanner) (*Transaction, error) {
	if null, err := s.null(); null || err != nil {
		return nil, err
	}
	t := &Transaction{}
	err := s.object(func(k []byte) error {
		key := string(k)
		switch key {
		case "id":
			return parseOptString(s, &t.ID)
		case "total_order":
			return parseOptInt(s, &t.TotalOrder)
		case "data_collection_order":
			return parseOptInt(s, &t.DataCollectionOrder)
		}
		_, err := s.raw()
		return err
	})
	return t, err
}

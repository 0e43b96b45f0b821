package binlog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"
)

// ErrUnsupported marks binlog content the source cannot publish faithfully (statement-format DML, partial
// row images, oversized XA transactions): restarting would meet it again, so it stops the source.
var ErrUnsupported = errors.New("unsupported binlog content")

// mariadbPreparedXA flags a MariaDB GTID event whose group prepares an XA transaction (log_event.h).
const mariadbPreparedXA = 64

// maxXABytes bounds the row events of captured tables one prepared XA transaction may hold in memory.
const maxXABytes = 64 << 20

// xaTxn is an XA transaction whose rows are held back until it commits. MariaDB and MySQL log the rows at
// XA PREPARE, in a group of their own that ends with an XA_PREPARE event, and the XA COMMIT or XA ROLLBACK,
// possibly much later, in another group. Rows are published at the commit; a rollback drops them. Until
// then the position handed on stays at before, so a restart reads the prepared rows again.
type xaTxn struct {
	xid     string   // as the server writes it in XA COMMIT: X'gtrid',X'bqual',formatID
	before  Position // the boundary before the prepare group
	changes []*Change
	bytes   int
}

// hold keeps a change of the transaction until it commits.
func (x *xaTxn) hold(ch *Change, size uint32) error {
	x.bytes += int(size)
	if x.bytes > maxXABytes {
		return fmt.Errorf("%w: an XA transaction (GTID %s) changes more than %d MiB of rows of captured tables before XA PREPARE: "+
			"tandem holds the rows of a prepared XA transaction in memory until its XA COMMIT; commit such changes without XA",
			ErrUnsupported, ch.GTID, maxXABytes>>20)
	}
	x.changes = append(x.changes, ch)
	return nil
}

// release publishes the changes of a committed XA transaction.
func (r *Reader) release(ctx context.Context, x *xaTxn, h Handler) error {
	for i, ch := range x.changes {
		if err := h.Rows(ctx, ch); err != nil {
			return err
		}
		x.changes[i] = nil
	}
	x.changes = nil
	return nil
}

// resolveXA removes the prepared transaction xid from the open ones and returns it; nil when it holds no
// captured rows (or was prepared before the stream's start).
func (st *state) resolveXA(xid string) *xaTxn {
	for i, x := range st.prepared {
		if x.xid == xid {
			st.prepared = append(st.prepared[:i], st.prepared[i+1:]...)
			return x
		}
	}
	return nil
}

// xaPrepare ends the group that prepares an XA transaction (or, flagged one-phase, commits it). data is
// the event body: one_phase (1 byte), formatID (4), gtrid length (4), bqual length (4), gtrid and bqual.
func (r *Reader) xaPrepare(ctx context.Context, st *state, ev *replication.BinlogEvent, data []byte, h Handler) error {
	if len(data) < 13 {
		return fmt.Errorf("XA_PREPARE event at %s:%d: %d bytes", st.file, st.lastPos, len(data))
	}
	formatID := int32(binary.LittleEndian.Uint32(data[1:]))
	gl, bl := binary.LittleEndian.Uint32(data[5:]), binary.LittleEndian.Uint32(data[9:])
	if uint64(len(data)) < 13+uint64(gl)+uint64(bl) {
		return fmt.Errorf("XA_PREPARE event at %s:%d: xid lengths %d+%d exceed the event", st.file, st.lastPos, gl, bl)
	}
	x := st.xa
	if x == nil {
		x = &xaTxn{before: st.resume}
	}
	if data[0] != 0 { // one phase: committed here
		if err := r.release(ctx, x, h); err != nil {
			return err
		}
		return r.commit(ctx, st, ev, h)
	}
	x.xid = fmt.Sprintf("X'%x',X'%x',%d", data[13:13+gl], data[13+gl:13+gl+bl], formatID)
	if len(x.changes) > 0 {
		st.prepared = append(st.prepared, x)
	}
	return r.commit(ctx, st, ev, h)
}

package batch

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

// Origins reads and writes origin markers: /* dts origin=A from=B */ says the change was first made on
// node A and applied from node B's topics. A sink whose target is node N skips records that originated
// at N or were applied from N, so changes pass along chains and rings (A→B→C→A) and between the two
// sides of each bidirectional link exactly once, and never come back.
type Origins struct {
	node, source string
	plain        string         // the plain marker, e.g. /* dts */: written by a sink without origins
	re           *regexp.Regexp // origin markers in statement text
	prefix       string
	byOrigin     map[string]string
}

// NewOrigins returns the origin markers of a sink writing to node from source's topics.
func NewOrigins(marker, node, source string) (*Origins, error) {
	prefix, err := config.OriginMarkerPrefix(marker)
	if err != nil {
		return nil, err
	}
	return &Origins{node: node, source: source, plain: marker, prefix: prefix, byOrigin: map[string]string{},
		re: regexp.MustCompile(regexp.QuoteMeta(prefix) + ` origin=([A-Za-z0-9_.-]+) from=([A-Za-z0-9_.-]+) \*/`)}, nil
}

// Marker returns the marker to write a record's change with, and whether the record is an echo: it
// originated at the target node, was applied from it, or carries the plain marker of a sink that names
// no origin.
func (o *Origins) Marker(query string) (marker string, echo bool) {
	origin := o.source
	if m := o.re.FindStringSubmatch(query); m != nil {
		echo = m[1] == o.node || m[2] == o.node
		origin = m[1]
	} else {
		echo = strings.Contains(query, o.plain)
	}
	mk, ok := o.byOrigin[origin]
	if !ok {
		mk = fmt.Sprintf("%s origin=%s from=%s */", o.prefix, origin, o.source)
		o.byOrigin[origin] = mk
	}
	return mk, echo
}

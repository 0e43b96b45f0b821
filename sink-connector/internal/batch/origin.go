package batch

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

// LeadingComment returns the statement text from its first token: query without the white space before
// it. A sink writes its marker as the first token of every statement, so only a marker there says who
// made a change; the same text further on belongs to the application (a string literal, a comment an end
// user typed) and says nothing.
func LeadingComment(query string) string {
	return strings.TrimLeft(query, " \t\r\n\f\v")
}

// HasMarker reports whether query starts with marker after optional white space: the statement was
// written by a sink. marker "" marks nothing.
func HasMarker(query, marker string) bool {
	return marker != "" && strings.HasPrefix(LeadingComment(query), marker)
}

// Origins reads and writes origin markers: /* dts origin=A from=B */ says the change was first made on
// node A and applied from node B's topics. A sink whose target is node N skips records that originated
// at N or were applied from N, so changes pass along chains and rings (A→B→C→A) and between the two
// sides of each bidirectional link exactly once, and never come back. Only a marker that starts the
// statement counts (see LeadingComment).
type Origins struct {
	node, source string
	plain        string         // the plain marker, e.g. /* dts */: written by a sink without origins
	re           *regexp.Regexp // an origin marker at the start of statement text
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
		re: regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + ` origin=([A-Za-z0-9_.-]+) from=([A-Za-z0-9_.-]+) \*/`)}, nil
}

// Marker returns the marker to write a record's change with, and whether the record is an echo: its
// statement starts with a marker saying it originated at the target node or was applied from it, or with
// the plain marker of a sink that names no origin. A statement that does not start with a marker
// originated at the source node, whatever marker text it carries further on.
func (o *Origins) Marker(query string) (marker string, echo bool) {
	origin := o.source
	lead := LeadingComment(query)
	if m := o.re.FindStringSubmatch(lead); m != nil {
		echo = m[1] == o.node || m[2] == o.node
		origin = m[1]
	} else {
		echo = strings.HasPrefix(lead, o.plain)
	}
	mk, ok := o.byOrigin[origin]
	if !ok {
		mk = fmt.Sprintf("%s origin=%s from=%s */", o.prefix, origin, o.source)
		o.byOrigin[origin] = mk
	}
	return mk, echo
}

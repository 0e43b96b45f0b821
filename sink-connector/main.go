// Command sink-connector consumes Debezium-compatible change topics and applies them to MySQL or MariaDB in
// idempotent, key-ordered batches, committing its Kafka offsets in the same transaction as the rows.
package main

import (
	"os"

	"github.com/tandemcdc/tandem/sink-connector/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}

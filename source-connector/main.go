// Command source-connector reads a MySQL or MariaDB binlog as a replica and writes Debezium-compatible
// change events into one Kafka topic per table.
package main

import (
	"os"

	"github.com/tandemcdc/tandem/source-connector/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}

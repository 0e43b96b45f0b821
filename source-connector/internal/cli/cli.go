// Package cli holds the source-connector command tree.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tandemcdc/tandem/internal/buildinfo"
)

// Main runs the command tree with args and returns the process exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "source-connector: %s\n", err)
		return 1
	}
	return 0
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "source-connector",
		Short: "Stream MySQL/MariaDB binlog changes into Kafka as Debezium-compatible events",
		Long: `source-connector reads the binlog of a MySQL or MariaDB server as a replica and writes one
Debezium-compatible change event (before/after/source/op) per row change into one Kafka topic per table,
named <prefix>.<database>.<table>. Positions are saved only after Kafka acknowledged every record
up to a transaction boundary, so no event is ever skipped across restarts.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildinfo.Command("source-connector"))
	return root
}

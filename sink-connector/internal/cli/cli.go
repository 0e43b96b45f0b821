// Package cli holds the sink-connector command tree.
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
		fmt.Fprintf(os.Stderr, "sink-connector: %s\n", err)
		return 1
	}
	return 0
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "sink-connector",
		Short: "Apply Debezium-compatible change topics to MySQL/MariaDB",
		Long: `sink-connector consumes Debezium-compatible change topics (written by tandem's source-connector or
by Debezium itself) and applies them to MySQL or MariaDB in idempotent, key-ordered batches. Each batch
commits its Kafka offsets in the same database transaction as the rows, so a crash never loses or
double-applies a change. Events tagged with the loop marker comment are skipped, which makes
bidirectional sync through Kafka safe.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildinfo.Command("sink-connector"))
	return root
}

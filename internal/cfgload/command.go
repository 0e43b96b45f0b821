package cfgload

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// Settings is a daemon's configuration struct.
type Settings interface {
	Resolve() error  // read secrets from files
	Validate() error // report every invalid setting
}

// Execute runs a daemon's command tree with args under a context that SIGINT and SIGTERM cancel, prints
// an error prefixed with the command's name, and returns the exit code.
func Execute(root *cobra.Command, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", root.Name(), err)
		return 1
	}
	return 0
}

// LoadCommand fills cfg (holding the defaults) from the command's flags, the environment and the file,
// resolves its secrets and validates it.
func LoadCommand(cmd *cobra.Command, cfg Settings) error {
	if err := Load(cmd.Flags(), cfg); err != nil {
		return err
	}
	if err := cfg.Resolve(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	return nil
}

// ConfigCommand is the `config print` command tree for a configuration made by fresh.
func ConfigCommand(fresh func() Settings) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show the configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print the effective configuration as YAML, secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := fresh()
			if err := LoadCommand(cmd, cfg); err != nil {
				return err
			}
			out, err := Print(cfg)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	})
	return cmd
}

// LogConfig sets logging.
type LogConfig struct {
	Level  string `yaml:"level" help:"debug, info, warn or error"`
	Format string `yaml:"format" help:"text or json"`
}

// Metrics serves Prometheus metrics, health and profiles.
type Metrics struct {
	Addr string `yaml:"addr" help:"listen address of /metrics, /healthz and /debug/pprof/, e.g. 127.0.0.1:9187; empty = off"`
}

// Runtime prepares a daemon's process: its logger on stderr, the Go runtime's soft memory limit of
// memoryLimitMB (0 = none; GOMEMLIMIT, when set, wins) and its GC percent (0 = Go's default of 100;
// GOGC, when set, wins). Under a memory limit a higher GC percent spends less CPU on collections while
// the heap is small and gives way to the limit when it grows.
func Runtime(log LogConfig, memoryLimitMB, gcPercent int) (*slog.Logger, error) {
	logger, err := NewLogger(log.Level, log.Format, os.Stderr)
	if err != nil {
		return nil, err
	}
	if memoryLimitMB > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(memoryLimitMB) << 20)
	}
	if gcPercent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	return logger, nil
}

// Package cli holds the source-connector command tree.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/tandemcdc/tandem/internal/buildinfo"
	"github.com/tandemcdc/tandem/internal/cfgload"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
	"github.com/tandemcdc/tandem/source-connector/internal/checkpoint"
	"github.com/tandemcdc/tandem/source-connector/internal/config"
	"github.com/tandemcdc/tandem/source-connector/internal/metrics"
	"github.com/tandemcdc/tandem/source-connector/internal/preflight"
	"github.com/tandemcdc/tandem/source-connector/internal/stream"
)

// Main runs the command tree with args and returns the process exit code.
func Main(args []string) int { return cfgload.Execute(newRoot(), args) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "source-connector",
		Short: "Stream MySQL/MariaDB binlog changes into Kafka as Debezium-compatible events",
		Long: `source-connector reads the binlog of a MySQL or MariaDB server as a replica and writes one
Debezium-compatible change event (before/after/source/op) per row change into one Kafka topic per table,
named <prefix>.<database>.<table>. Positions are saved only after Kafka acknowledged every record
up to a transaction boundary, so no event is ever skipped across restarts.

Every setting can be given in the YAML file (--config), as an environment variable (TANDEM_<KEY>, e.g.
TANDEM_MYSQL_PASSWORD) or as a flag (--mysql.addr); flags win over the environment, which wins over the file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cfgload.Flags(root.PersistentFlags(), config.Default())
	root.AddCommand(runCmd(), checkCmd(), cfgload.ConfigCommand(func() cfgload.Settings { return config.Default() }), offsetsCmd(), buildinfo.Command("source-connector"))
	return root
}

// loadConfig reads the configuration with flags > environment > file > defaults, and validates it.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	cfg := config.Default()
	return cfg, cfgload.LoadCommand(cmd, cfg)
}

func runCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Stream changes until stopped (SIGTERM/SIGINT flush and save the final position)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log, err := cfgload.Runtime(cfg.Log, cfg.MemoryLimitMB, 0)
			if err != nil {
				return err
			}
			log.Info("starting", "version", buildinfo.Version, "name", cfg.Name, "mysql", cfg.MySQL.Addr,
				"kafka", strings.Join(cfg.Kafka.Brokers, ","), "topic_prefix", cfg.TopicPrefix)
			if err := preflightAll(cmd.Context(), cfg, log); err != nil {
				return err
			}
			m := metrics.New()
			g, ctx := errgroup.WithContext(cmd.Context())
			if cfg.Metrics.Addr != "" {
				g.Go(func() error { return m.Serve(ctx, cfg.Metrics.Addr, log) })
			}
			g.Go(func() error {
				err := stream.Run(ctx, cfg, log, m)
				if err == nil {
					log.Info("stopped")
				}
				return err
			})
			return g.Wait()
		},
	}
}

// preflightAll runs the server and Kafka checks, logging warnings; problems stop the start.
func preflightAll(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	reports, err := checks(ctx, cfg)
	if err != nil {
		return err
	}
	var problems []string
	for _, r := range reports {
		for _, w := range r.Warnings {
			log.Warn(w)
		}
		problems = append(problems, r.Problems...)
	}
	if len(problems) > 0 {
		return errors.New("not ready to capture:\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}

func checks(ctx context.Context, cfg *config.Config) ([]*preflight.Report, error) {
	deps, err := stream.Open(cfg, slog.Default())
	if err != nil {
		return nil, err
	}
	defer deps.Close()
	return []*preflight.Report{
		preflight.MySQL(ctx, deps.DB, cfg.MySQL.Flavor, cfg.MySQL.Addr, cfg.MySQL.User),
		preflight.Kafka(ctx, cfg.Kafka.Brokers, deps.Transport),
	}, nil
}

func checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check the configuration, the server's binlog settings, the user's privileges and Kafka",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			reports, err := checks(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			failed := false
			for _, r := range reports {
				if r.Server != "" {
					fmt.Fprintf(out, "server %s: %s\n", cfg.MySQL.Addr, r.Server)
				}
				for _, w := range r.Warnings {
					fmt.Fprintf(out, "WARN  %s\n", w)
				}
				for _, p := range r.Problems {
					fmt.Fprintf(out, "FAIL  %s\n", p)
					failed = true
				}
			}
			if failed {
				return errors.New("check failed")
			}
			fmt.Fprintln(out, "OK    configuration, server settings, privileges and Kafka are ready")
			return nil
		},
	}
}

func offsetsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "offsets", Short: "Show or change the saved binlog position (stop the connector first)"}
	withStore := func(cmd *cobra.Command, fn func(ctx context.Context, deps *stream.Deps) error) error {
		cfg, err := loadConfig(cmd)
		if err != nil {
			return err
		}
		deps, err := stream.Open(cfg, slog.Default())
		if err != nil {
			return err
		}
		defer deps.Close()
		return fn(cmd.Context(), deps)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the saved position (and the progress of an unfinished snapshot) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, deps *stream.Deps) error {
				pos, found, err := deps.Store.Load(ctx)
				if err != nil {
					return err
				}
				if !found {
					fmt.Fprintln(cmd.OutOrStdout(), "no saved position: the next start takes a snapshot (snapshot.mode initial, initial_only, when_needed) or begins at the server's current position (never)")
					return nil
				}
				fmt.Fprintln(cmd.OutOrStdout(), pos.String())
				return nil
			})
		},
	})
	var gtid, file string
	var pos uint32
	set := &cobra.Command{
		Use:   "set",
		Short: "Save a position to resume from: --gtid, or --file and --pos",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (gtid == "") == (file == "") {
				return errors.New("give either --gtid or --file (with --pos)")
			}
			return withStore(cmd, func(ctx context.Context, deps *stream.Deps) error {
				p := binlog.Position{GTID: gtid, File: file, Pos: pos}
				if err := deps.Store.Save(ctx, checkpoint.State{Position: p}); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "saved", p.String())
				return nil
			})
		},
	}
	set.Flags().StringVar(&gtid, "gtid", "", "GTID set to resume after, e.g. 0-1-1234 (MariaDB) or uuid:1-1234 (MySQL)")
	set.Flags().StringVar(&file, "file", "", "binlog file to resume in")
	set.Flags().Uint32Var(&pos, "pos", 4, "position in --file")
	cmd.AddCommand(set, &cobra.Command{
		Use:   "reset",
		Short: "Forget the saved position: the next start takes a new snapshot, or with snapshot.mode=never begins at the server's current position",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, deps *stream.Deps) error {
				return deps.Store.Reset(ctx)
			})
		},
	})
	return cmd
}

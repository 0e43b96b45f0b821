// Package cli holds the sink-connector command tree.
package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/tandemcdc/tandem/internal/buildinfo"
	"github.com/tandemcdc/tandem/internal/cfgload"
	"github.com/tandemcdc/tandem/sink-connector/internal/apply"
	"github.com/tandemcdc/tandem/sink-connector/internal/config"
	"github.com/tandemcdc/tandem/sink-connector/internal/consume"
	"github.com/tandemcdc/tandem/sink-connector/internal/metrics"
)

// Main runs the command tree with args and returns the process exit code.
func Main(args []string) int { return cfgload.Execute(newRoot(), args) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "sink-connector",
		Short: "Apply Debezium-compatible change topics to MySQL/MariaDB",
		Long: `sink-connector consumes Debezium-compatible change topics (written by tandem's source-connector or
by Debezium itself) and applies them to MySQL or MariaDB in idempotent, key-ordered batches. Each batch
commits its Kafka offsets in the same database transaction as the rows, so a crash never loses or
double-applies a change. Events tagged with the loop marker comment are skipped, which makes
bidirectional sync through Kafka safe.

Every setting can be given in the YAML file (--config), as an environment variable (TANDEM_<KEY>, e.g.
TANDEM_MYSQL_PASSWORD) or as a flag (--mysql.addr); flags win over the environment, which wins over the file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cfgload.Flags(root.PersistentFlags(), config.Default())
	root.AddCommand(runCmd(), checkCmd(), cfgload.ConfigCommand(func() cfgload.Settings { return config.Default() }), offsetsCmd(), buildinfo.Command("sink-connector"))
	return root
}

func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	cfg := config.Default()
	return cfg, cfgload.LoadCommand(cmd, cfg)
}

// openTarget connects to the target with UTC session time and query logging for the marker: the global
// setting when it is on, else the session setting, which needs a privilege the error names.
func openTarget(ctx context.Context, cfg *config.Config) (*sql.DB, error) {
	tlsCfg, err := cfg.MySQLTLS()
	if err != nil {
		return nil, err
	}
	dsn := mysql.NewConfig()
	dsn.Net, dsn.Addr, dsn.User, dsn.Passwd = "tcp", cfg.MySQL.Addr, cfg.MySQL.User, cfg.MySQL.Password
	dsn.InterpolateParams = true
	dsn.Timeout, dsn.ReadTimeout, dsn.WriteTimeout = 10*time.Second, time.Minute, time.Minute
	dsn.Params = map[string]string{"time_zone": "'+00:00'"}
	if tlsCfg != nil {
		if err := mysql.RegisterTLSConfig("tandem-sink", tlsCfg); err != nil {
			return nil, err
		}
		dsn.TLSConfig = "tandem-sink"
	}
	logVar := "binlog_annotate_row_events"
	fix := "GRANT BINLOG ADMIN ON *.* TO the sink user, or SET GLOBAL binlog_annotate_row_events=ON"
	if cfg.MySQL.Flavor == "mysql" {
		logVar = "binlog_rows_query_log_events"
		fix = "GRANT SESSION_VARIABLES_ADMIN ON *.* TO the sink user, or SET GLOBAL binlog_rows_query_log_events=ON"
	}
	connector, err := mysql.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	var on int
	var sqlMode string
	if err := db.QueryRowContext(ctx, "SELECT @@global."+logVar+", @@global.sql_mode").Scan(&on, &sqlMode); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to the target %s as %s: %w", cfg.MySQL.Addr, cfg.MySQL.User, err)
	}
	// Zero dates: the sink writes a zero TIMESTAMP where the source had one (see apply's bind), which a
	// session with NO_ZERO_DATE refuses; every other mode (strictness among them) stays as the server's.
	mode, zeroDatesOff := allowZeroDates(sqlMode)
	if on == 1 && !zeroDatesOff {
		db.SetMaxOpenConns(cfg.Apply.Connections + 1)
		return db, nil
	}
	db.Close()
	if on != 1 {
		dsn.Params[logVar] = "ON"
	}
	if zeroDatesOff {
		dsn.Params["sql_mode"] = "'" + mode + "'"
	}
	if connector, err = mysql.NewConnector(dsn); err != nil {
		return nil, err
	}
	db = sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if on == 1 {
			return nil, fmt.Errorf("connect to the target %s as %s with sql_mode %q: %w", cfg.MySQL.Addr, cfg.MySQL.User, mode, err)
		}
		return nil, fmt.Errorf("%s is OFF on %s and the sink cannot turn it on for its session (%w): %s; "+
			"without it the target's binlog does not record the loop marker", logVar, cfg.MySQL.Addr, err, fix)
	}
	db.SetMaxOpenConns(cfg.Apply.Connections + 1)
	return db, nil
}

// allowZeroDates returns the server's sql_mode without NO_ZERO_DATE and NO_ZERO_IN_DATE, and whether it
// had either. Mode names are letters and underscores; anything else keeps the server's mode.
func allowZeroDates(sqlMode string) (string, bool) {
	var keep []string
	changed := false
	for _, m := range strings.Split(sqlMode, ",") {
		switch {
		case m == "NO_ZERO_DATE" || m == "NO_ZERO_IN_DATE":
			changed = true
		case m == "":
		case strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "":
			return sqlMode, false
		default:
			keep = append(keep, m)
		}
	}
	return strings.Join(keep, ","), changed
}

func newApplier(cfg *config.Config, db *sql.DB) *apply.Applier {
	return &apply.Applier{DB: db, Consumer: cfg.Name, Marker: cfg.Apply.Marker, OffsetsDB: cfg.Offsets.Database,
		RowsPerStmt: cfg.Apply.RowsPerStmt, StmtBytes: cfg.Apply.StmtBytes, BatchLog: cfg.Apply.BatchLog, Evolve: cfg.Apply.SchemaChanges == "basic",
		Conflict: cfg.Apply.Conflict.Column, WinTies: cfg.Apply.Conflict.WinTies, Tables: &apply.Catalog{DB: db}}
}

func runCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Consume and apply until stopped (SIGTERM/SIGINT finish the batches in flight and leave the group)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log, err := cfgload.Runtime(cfg.Log, cfg.MemoryLimitMB, cfg.GCPercent)
			if err != nil {
				return err
			}
			log.Info("starting", "version", buildinfo.Version, "name", cfg.Name, "mysql", cfg.MySQL.Addr,
				"kafka", strings.Join(cfg.Kafka.Brokers, ","))
			ctx := cmd.Context()
			db, err := openTarget(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			applier := newApplier(cfg, db)
			if err := applier.Setup(ctx); err != nil {
				return err
			}
			transport, dialer, err := cfg.KafkaClients()
			if err != nil {
				return err
			}
			m := metrics.New()
			sink := &consume.Sink{Cfg: cfg, Applier: applier, Dialer: dialer, Transport: transport, Log: log, Metrics: m}
			g, gctx := errgroup.WithContext(ctx)
			if cfg.Metrics.Addr != "" {
				g.Go(func() error { return m.Serve(gctx, cfg.Metrics.Addr, log) })
			}
			g.Go(func() error {
				err := sink.Run(gctx)
				if err == nil {
					log.Info("stopped")
				}
				return err
			})
			return g.Wait()
		},
	}
}

func checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check the configuration, the target connection and privileges, and Kafka",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			ctx := cmd.Context()
			db, err := openTarget(ctx, cfg)
			if err != nil {
				fmt.Fprintf(out, "FAIL  %s\n", err)
				return errors.New("check failed")
			}
			defer db.Close()
			if err := newApplier(cfg, db).Setup(ctx); err != nil {
				fmt.Fprintf(out, "FAIL  %s\n", err)
				return errors.New("check failed")
			}
			transport, _, err := cfg.KafkaClients()
			if err != nil {
				return err
			}
			sink := &consume.Sink{Cfg: cfg, Transport: transport, Log: slog.Default()}
			if topics, err := sink.Topics(ctx); err != nil {
				fmt.Fprintf(out, "FAIL  cannot reach Kafka at %s: %s\n", strings.Join(cfg.Kafka.Brokers, ","), err)
				return errors.New("check failed")
			} else {
				fmt.Fprintf(out, "OK    target %s reachable, offsets tables ready; topics: %s\n", cfg.MySQL.Addr, strings.Join(topics, ", "))
			}
			return nil
		},
	}
}

func offsetsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "offsets", Short: "Show or change the offsets stored in the target (stop the sinks of the group first)"}
	withApplier := func(cmd *cobra.Command, fn func(ctx context.Context, cfg *config.Config, a *apply.Applier) error) error {
		cfg, err := loadConfig(cmd)
		if err != nil {
			return err
		}
		db, err := openTarget(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		a := newApplier(cfg, db)
		if err := a.Setup(cmd.Context()); err != nil {
			return err
		}
		return fn(cmd.Context(), cfg, a)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print topic, partition and next offset for this connector",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApplier(cmd, func(ctx context.Context, cfg *config.Config, a *apply.Applier) error {
				rows, err := a.Offsets(ctx)
				if err != nil {
					return err
				}
				for _, r := range rows {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%d\t%d\n", r.Topic, r.Partition, r.Next)
				}
				return nil
			})
		},
	})
	var topic string
	var partition int
	var next int64
	set := &cobra.Command{
		Use:   "set",
		Short: "Store the next offset to apply for one partition",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topic == "" || partition < 0 || next < 0 {
				return errors.New("give --topic, --partition and --offset (>= 0)")
			}
			return withApplier(cmd, func(ctx context.Context, cfg *config.Config, a *apply.Applier) error {
				return a.SetOffset(ctx, topic, partition, next)
			})
		},
	}
	set.Flags().StringVar(&topic, "topic", "", "topic")
	set.Flags().IntVar(&partition, "partition", -1, "partition")
	set.Flags().Int64Var(&next, "offset", -1, "next offset to apply")
	cmd.AddCommand(set)
	return cmd
}

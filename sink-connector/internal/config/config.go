// Package config is the sink connector's configuration: one struct with nested sections, its defaults,
// and a validation that reports every problem at once, each named by its key.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/internal/cfgload"
	"github.com/tandemcdc/tandem/internal/endpoint"
	"github.com/tandemcdc/tandem/sink-connector/internal/rowfilter"
)

// Config is everything the sink connector reads at start-up.
type Config struct {
	Name          string            `yaml:"name" help:"connector name: the Kafka consumer group and the key of its offsets in the target"`
	MySQL         MySQL             `yaml:"mysql"`
	Kafka         Kafka             `yaml:"kafka"`
	Apply         Apply             `yaml:"apply"`
	Routing       Routing           `yaml:"routing"`
	Filter        Filter            `yaml:"filter"`
	Offsets       Offsets           `yaml:"offsets"`
	Metrics       cfgload.Metrics   `yaml:"metrics"`
	Log           cfgload.LogConfig `yaml:"log"`
	MemoryLimitMB int               `yaml:"memory_limit_mb" help:"soft memory limit of the Go runtime in MiB; 0 = none"`
	GCPercent     int               `yaml:"gc_percent" help:"Go garbage collector target percent (GOGC); the memory limit caps the heap it lets grow; 0 = Go's default"`
}

// MySQL is the target database.
type MySQL struct {
	Flavor       string       `yaml:"flavor" help:"mariadb or mysql"`
	Addr         string       `yaml:"addr" help:"host:port of the target server"`
	User         string       `yaml:"user" help:"user with SELECT, INSERT, UPDATE, DELETE (and CREATE for the offsets table)"`
	Password     string       `yaml:"password" secret:"true" help:"password (prefer the environment or password_file)"`
	PasswordFile string       `yaml:"password_file" help:"file holding the password"`
	TLS          endpoint.TLS `yaml:"tls"`
}

// Kafka is where the change topics are read.
type Kafka struct {
	Brokers     []string      `yaml:"brokers" help:"bootstrap brokers host:port, comma-separated"`
	Topics      []string      `yaml:"topics" help:"topics to apply"`
	TopicsRegex string        `yaml:"topics_regex" help:"apply every topic whose whole name matches (checked at start and every refresh)"`
	Refresh     time.Duration `yaml:"topics_refresh" help:"how often topics_regex is matched against the cluster's topics"`
	Session     time.Duration `yaml:"session_timeout" help:"consumer group session timeout: how soon the partitions of a dead sink move to the others"`
	SASL        endpoint.SASL `yaml:"sasl"`
	TLS         endpoint.TLS  `yaml:"tls"`
}

// Apply shapes batches and their transactions.
type Apply struct {
	BatchSize       int           `yaml:"batch_size" help:"records per partition batch (one database transaction)"`
	BatchWait       time.Duration `yaml:"batch_wait" help:"how long a partial batch waits for more records"`
	Connections     int           `yaml:"connections" help:"database connections: partitions applied in parallel"`
	RowsPerStmt     int           `yaml:"rows_per_statement" help:"rows per multi-row INSERT or DELETE statement"`
	StmtBytes       int           `yaml:"statement_bytes" help:"bound on the values of one statement, in bytes (its text with values is what the target's binlog records); a single larger row is one statement of its own"`
	Marker          string        `yaml:"marker" help:"comment that starts every statement the sink runs, e.g. /* dts */"`
	SkipMarked      bool          `yaml:"skip_marked" help:"skip records whose source.query starts with the marker (loop prevention)"`
	Truncate        bool          `yaml:"truncate" help:"apply op=t records as TRUNCATE TABLE"`
	DeadLetter      string        `yaml:"dead_letter_topic" help:"topic for records that cannot be applied; empty = stop the sink on such a record"`
	MaxRetries      int           `yaml:"max_retries" help:"retries of a batch after deadlocks, lock timeouts or lost connections; 0 = forever"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" help:"how long a batch in flight may still be applied after SIGTERM or a rebalance before it is given up (and applied again later)"`
	UniqueWait      time.Duration `yaml:"unique_conflict_wait" help:"how long a batch that hits a duplicate unique key (error 1062) is retried while other partitions move on, before it is a data error; 0 = at once"`
	BatchLog        bool          `yaml:"batch_log" help:"record every applied batch's requested and applied offsets in tandem_sink_batch_log (audit)"`
	SchemaChanges   string        `yaml:"schema_evolution" help:"none, or basic: create missing tables and add missing columns"`
	Origin          Origin        `yaml:"origin"`
	Conflict        Conflict      `yaml:"conflict"`
}

// Origin turns on origin markers, for chains and rings of nodes: statements start with
// /* <marker word> origin=<node the change was first made on> from=<source_node> */, and records that
// originated at this sink's target node, or were applied from it, are skipped.
type Origin struct {
	Node       string `yaml:"node" help:"name of the target database's node; empty = plain marker mode"`
	SourceNode string `yaml:"source_node" help:"name of the node whose topics this sink reads: the origin of unmarked records"`
}

// Conflict chooses how changes made to the same row on both sides of a bidirectional pair are settled.
type Conflict struct {
	Column  string `yaml:"column" help:"last-writer-wins on this column (a timestamp or version the application sets): an incoming upsert or delete applies only if the target row is not newer; empty = the last change applied wins"`
	WinTies bool   `yaml:"win_ties" help:"with conflict.column: incoming changes win ties; set it on exactly one sink of a pair"`
}

// Filter keeps a subset of rows in the target (fan-out): rows that do not match are deleted from the
// target, so a row that moves out of the subset leaves it.
type Filter struct {
	Where  string `yaml:"where" help:"row filter expression on the row's columns, e.g. id < 10 AND region IN ('eu', 'uk')"`
	Tables string `yaml:"tables" help:"regular expression on the target db.table the filter applies to; empty = every table"`
}

// Routing maps a record's source database and table to a target table.
type Routing struct {
	Database string   `yaml:"database" help:"write every table into this database (fan-in); empty = the source database"`
	Tables   []string `yaml:"tables" help:"rename rules 'regex=replacement' on db.table, first match wins, e.g. shop\\.(.*)=replica.$1"`
}

// Offsets says where the sink keeps its Kafka offsets in the target database.
type Offsets struct {
	Database string `yaml:"database" help:"database of the tandem_sink_offsets table (created when missing)"`
}

// Default returns the defaults.
func Default() *Config {
	return &Config{
		Name:  "tandem-sink",
		MySQL: MySQL{Flavor: "mariadb", Addr: "127.0.0.1:3306", User: "tandem_sink"},
		Kafka: Kafka{Brokers: []string{"127.0.0.1:9092"}, Refresh: 30 * time.Second, Session: 10 * time.Second, SASL: endpoint.SASL{Mechanism: "none"}},
		Apply: Apply{BatchSize: 5000, BatchWait: 50 * time.Millisecond, Connections: 4, RowsPerStmt: 1000, StmtBytes: 256 << 10,
			Marker: "/* dts */", SkipMarked: true, SchemaChanges: "none", UniqueWait: 30 * time.Second,
			ShutdownTimeout: 30 * time.Second},
		Offsets:       Offsets{Database: "tandem"},
		Log:           cfgload.LogConfig{Level: "info", Format: "text"},
		MemoryLimitMB: 120,
		GCPercent:     400,
	}
}

// Resolve reads secrets from their files.
func (c *Config) Resolve() error {
	var err error
	c.MySQL.Password, err = cfgload.Secret(c.MySQL.Password, c.MySQL.PasswordFile, "mysql.password")
	return errors.Join(err, c.Kafka.SASL.Resolve("kafka.sasl"))
}

// markerPattern is a plain SQL comment: not an executable /*! */ or optimizer-hint /*+ */ comment.
var markerPattern = regexp.MustCompile(`^/\*[ A-Za-z0-9_=.:,@-][^*]*\*/$`)

// Validate reports every invalid setting, each named by its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Name == "" {
		bad("name", "must be set")
	}
	if c.MySQL.Flavor != "mariadb" && c.MySQL.Flavor != "mysql" {
		bad("mysql.flavor", "%q: want mariadb or mysql", c.MySQL.Flavor)
	}
	if _, _, err := net.SplitHostPort(c.MySQL.Addr); err != nil {
		bad("mysql.addr", "%q is not host:port", c.MySQL.Addr)
	}
	if c.MySQL.User == "" {
		bad("mysql.user", "must be set")
	}
	if len(c.Kafka.Brokers) == 0 {
		bad("kafka.brokers", "must list at least one broker")
	}
	for _, b := range c.Kafka.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			bad("kafka.brokers", "%q is not host:port", b)
		}
	}
	if (len(c.Kafka.Topics) == 0) == (c.Kafka.TopicsRegex == "") {
		bad("kafka.topics", "give either kafka.topics or kafka.topics_regex")
	}
	if c.Kafka.TopicsRegex != "" {
		if _, err := regexp.Compile(c.Kafka.TopicsRegex); err != nil {
			bad("kafka.topics_regex", "%s", err)
		}
	}
	if c.Kafka.Session < 6*time.Second {
		bad("kafka.session_timeout", "must be at least 6s (the broker's group.min.session.timeout.ms)")
	}
	if c.Kafka.Refresh <= 0 {
		bad("kafka.topics_refresh", "must be positive")
	}
	errs = append(errs, c.Kafka.SASL.Validate("kafka.sasl")...)
	if c.Apply.StmtBytes < 1 {
		bad("apply.statement_bytes", "must be at least 1")
	}
	if c.Apply.BatchSize < 1 || c.Apply.RowsPerStmt < 1 {
		bad("apply.batch_size", "apply.batch_size and apply.rows_per_statement must be at least 1")
	}
	if c.Apply.BatchWait <= 0 {
		bad("apply.batch_wait", "must be positive")
	}
	if c.Apply.Connections < 1 {
		bad("apply.connections", "must be at least 1")
	}
	if !markerPattern.MatchString(c.Apply.Marker) || strings.Contains(c.Apply.Marker[2:len(c.Apply.Marker)-2], "*/") {
		bad("apply.marker", "%q must be one plain comment such as /* dts */ or /* dts origin=A */ (not /*! or /*+)", c.Apply.Marker)
	}
	if o := c.Apply.Origin; o.Node != "" || o.SourceNode != "" {
		if !nodeName.MatchString(o.Node) || !nodeName.MatchString(o.SourceNode) || o.Node == o.SourceNode {
			bad("apply.origin", "node %q and source_node %q must both be set, differ, and be letters, digits, '_', '.' or '-'", o.Node, o.SourceNode)
		}
		if _, err := OriginMarkerPrefix(c.Apply.Marker); err != nil {
			bad("apply.marker", "%s", err)
		}
	}
	if col := c.Apply.Conflict.Column; col != "" && !ValidIdentifier(col) {
		bad("apply.conflict.column", "%q is not a valid column name", col)
	}
	if c.Apply.Conflict.WinTies && c.Apply.Conflict.Column == "" {
		bad("apply.conflict.win_ties", "needs apply.conflict.column")
	}
	if c.Filter.Where != "" {
		if _, err := rowfilter.Parse(c.Filter.Where); err != nil {
			bad("filter.where", "%s", err)
		}
	}
	if c.Filter.Tables != "" {
		if _, err := regexp.Compile(c.Filter.Tables); err != nil {
			bad("filter.tables", "%s", err)
		}
		if c.Filter.Where == "" {
			bad("filter.tables", "needs filter.where")
		}
	}
	if c.Apply.ShutdownTimeout <= 0 {
		bad("apply.shutdown_timeout", "must be positive")
	}
	if c.Apply.UniqueWait < 0 {
		bad("apply.unique_conflict_wait", "must not be negative")
	}
	if c.Apply.MaxRetries < 0 {
		bad("apply.max_retries", "must not be negative")
	}
	if c.Apply.SchemaChanges != "none" && c.Apply.SchemaChanges != "basic" {
		bad("apply.schema_evolution", "%q: want none or basic", c.Apply.SchemaChanges)
	}
	if _, err := c.Routes(); err != nil {
		bad("routing.tables", "%s", err)
	}
	if c.Routing.Database != "" && !ValidIdentifier(c.Routing.Database) {
		bad("routing.database", "%q is not a valid database name", c.Routing.Database)
	}
	if !ValidIdentifier(c.Offsets.Database) {
		bad("offsets.database", "%q is not a valid database name", c.Offsets.Database)
	}
	if c.GCPercent < 0 {
		bad("gc_percent", "must not be negative")
	}
	if c.MemoryLimitMB < 0 {
		bad("memory_limit_mb", "must not be negative")
	}
	if _, err := c.MySQLTLS(); err != nil {
		bad("mysql.tls", "%s", err)
	}
	if _, _, err := c.KafkaClients(); err != nil {
		bad("kafka", "%s", err)
	}
	return errors.Join(errs...)
}

var nodeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// OriginMarkerPrefix returns the start of origin markers made from the plain marker: "/* dts */" gives
// "/* dts".
func OriginMarkerPrefix(marker string) (string, error) {
	if !markerPattern.MatchString(marker) {
		return "", fmt.Errorf("%q is not a plain comment", marker)
	}
	word := strings.TrimSpace(marker[2 : len(marker)-2])
	if !nodeName.MatchString(word) {
		return "", fmt.Errorf("%q: origin markers need a marker of one word, such as /* dts */", marker)
	}
	return "/* " + word, nil
}

// Route is one rename rule.
type Route struct {
	Match   *regexp.Regexp
	Replace string
}

// Routes compiles routing.tables.
func (c *Config) Routes() ([]Route, error) {
	var out []Route
	for _, rule := range c.Routing.Tables {
		pattern, repl, ok := strings.Cut(rule, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want regex=replacement", rule)
		}
		re, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			return nil, fmt.Errorf("%q: %w", rule, err)
		}
		out = append(out, Route{Match: re, Replace: repl})
	}
	return out, nil
}

// ValidIdentifier reports whether a database, table or column name may be used (always quoted): 1 to 64
// characters, no backtick, no control character, valid UTF-8, not only spaces.
func ValidIdentifier(s string) bool {
	if s == "" || len([]rune(s)) > 64 || strings.TrimSpace(s) == "" || strings.HasSuffix(s, " ") {
		return false
	}
	for _, r := range s {
		if r == '`' || r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// MySQLTLS returns the TLS client configuration for the target, or nil when TLS is off.
func (c *Config) MySQLTLS() (*tls.Config, error) { return c.MySQL.TLS.Client(c.MySQL.Addr) }

// KafkaClients returns the kafka-go transport and dialer for the configured cluster.
func (c *Config) KafkaClients() (*kafka.Transport, *kafka.Dialer, error) {
	return endpoint.KafkaClients(c.Kafka.Brokers, c.Kafka.TLS, c.Kafka.SASL)
}

// Package config is the source connector's configuration: one struct with nested sections, its
// defaults, and a validation that reports every problem at once, each named by its key.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/internal/cfgload"
	"github.com/tandemcdc/tandem/internal/endpoint"
	"github.com/tandemcdc/tandem/schemas"
)

// Config is everything the source connector reads at start-up.
type Config struct {
	Name        string            `yaml:"name" help:"connector name; its saved position is stored under this key"`
	TopicPrefix string            `yaml:"topic_prefix" help:"logical server name: topics are <topic_prefix>.<db>.<table>"`
	MySQL       MySQL             `yaml:"mysql"`
	Kafka       Kafka             `yaml:"kafka"`
	Filters     Filters           `yaml:"filters"`
	Events      Events            `yaml:"events"`
	Snapshot    Snapshot          `yaml:"snapshot"`
	Offsets     Offsets           `yaml:"offsets"`
	Metrics     cfgload.Metrics   `yaml:"metrics"`
	Log         cfgload.LogConfig `yaml:"log"`
	// MemoryLimitMB is the Go runtime's soft memory limit: the garbage collector works harder as the
	// heap nears it, which keeps the resident set small on hosts shared with the database.
	MemoryLimitMB int `yaml:"memory_limit_mb" help:"soft memory limit of the Go runtime in MiB; 0 = none (GOMEMLIMIT also works)"`
}

// MySQL is the server whose binlog is read.
type MySQL struct {
	Flavor       string        `yaml:"flavor" help:"mariadb or mysql"`
	Addr         string        `yaml:"addr" help:"host:port of the server"`
	User         string        `yaml:"user" help:"user with REPLICATION SLAVE, REPLICATION CLIENT and SELECT"`
	Password     string        `yaml:"password" secret:"true" help:"password (prefer the environment or password_file)"`
	PasswordFile string        `yaml:"password_file" help:"file holding the password"`
	ServerID     uint32        `yaml:"server_id" help:"replica server id, unique among the server's replicas"`
	StartGTID    string        `yaml:"start_gtid" help:"GTID set to start from when no position is saved (default: the server's current position)"`
	StartFile    string        `yaml:"start_file" help:"binlog file to start from when no position is saved and no GTID is given"`
	StartPos     uint32        `yaml:"start_pos" help:"position in start_file"`
	Heartbeat    time.Duration `yaml:"heartbeat" help:"binlog heartbeat period the server sends when idle"`
	ReadTimeout  time.Duration `yaml:"read_timeout" help:"reconnect when nothing arrives for this long (> heartbeat)"`
	TLS          endpoint.TLS  `yaml:"tls"`
}

// Kafka is the cluster the change events go to.
type Kafka struct {
	Brokers           []string      `yaml:"brokers" help:"bootstrap brokers host:port, comma-separated"`
	Partitions        int           `yaml:"partitions" help:"partitions of topics created on demand"`
	ReplicationFactor int           `yaml:"replication_factor" help:"replication factor of topics created on demand"`
	CleanupPolicy     string        `yaml:"cleanup_policy" help:"cleanup.policy of topics created on demand: delete or compact"`
	Compression       string        `yaml:"compression" help:"none, gzip, snappy, lz4 or zstd"`
	BatchSize         int           `yaml:"batch_size" help:"records per partition batch"`
	BatchBytes        int           `yaml:"batch_bytes" help:"bytes per partition batch; also the largest record"`
	Linger            time.Duration `yaml:"linger" help:"how long a partial batch waits for more records"`
	MaxInFlightBytes  int           `yaml:"max_in_flight_bytes" help:"bytes of records sent but not yet acknowledged, at most (bounds memory)"`
	WriteTimeout      time.Duration `yaml:"write_timeout" help:"timeout of one produce request"`
	SASL              endpoint.SASL `yaml:"sasl"`
	TLS               endpoint.TLS  `yaml:"tls"`
}

// Filters choose what is captured. Patterns are regular expressions matched against the whole name.
type Filters struct {
	IncludeDatabases []string `yaml:"include_databases" help:"capture only these databases"`
	ExcludeDatabases []string `yaml:"exclude_databases" help:"never capture these databases"`
	IncludeTables    []string `yaml:"include_tables" help:"capture only these tables, as db.table"`
	ExcludeTables    []string `yaml:"exclude_tables" help:"never capture these tables, as db.table"`
	ExcludeColumns   []string `yaml:"exclude_columns" help:"leave out these columns, as db.table.column"`
}

// Events shapes the records written.
type Events struct {
	Schemas             bool          `yaml:"schemas" help:"JSON with schemas ({schema, payload}), as JsonConverter schemas.enable=true"`
	DecimalFormat       string        `yaml:"decimal_format" help:"base64 or numeric (JsonConverter decimal.format)"`
	DecimalMode         string        `yaml:"decimal_mode" help:"precise, string or double (decimal.handling.mode)"`
	BigIntUnsignedMode  string        `yaml:"bigint_unsigned_mode" help:"long or precise (bigint.unsigned.handling.mode)"`
	Tombstones          bool          `yaml:"tombstones" help:"write a tombstone after each delete (tombstones.on.delete)"`
	Connector           string        `yaml:"connector" help:"source.connector and source schema name: mysql or mariadb (default: the flavor)"`
	TransactionMetadata bool          `yaml:"transaction_metadata" help:"BEGIN/END records on <topic_prefix>.transaction and the transaction block in every change event (provide.transaction.metadata)"`
	SchemaChanges       bool          `yaml:"schema_changes" help:"write each DDL statement that changes captured tables to the topic named topic_prefix (include.schema.changes)"`
	ContextHeaders      bool          `yaml:"context_headers" help:"write Debezium 3.4's __debezium.context.* headers (connectorLogicalName, taskId, connectorName, runId) on every record"`
	HeartbeatInterval   time.Duration `yaml:"heartbeat_interval" help:"write to __debezium-heartbeat.<topic_prefix> this often; 0 = off"`
	MaxQueryBytes       int           `yaml:"max_query_bytes" help:"longest source.query; a longer statement is cut (its leading comment kept whole); 0 = no bound, as Debezium"`
}

// Snapshot configures the initial copy of the captured tables.
type Snapshot struct {
	Mode             string        `yaml:"mode" help:"initial (snapshot when nothing is saved, then stream), initial_only (snapshot, then stop), never (stream from the current position) or when_needed (initial, and again when the saved position is gone from the server)"`
	ChunkSize        int           `yaml:"chunk_size" help:"rows per primary-key chunk; progress is saved after each"`
	ProgressInterval time.Duration `yaml:"progress_interval" help:"how often snapshot progress is logged"`
}

// Offsets says where the position is saved.
type Offsets struct {
	Store         string        `yaml:"store" help:"kafka (a compacted topic) or file"`
	Topic         string        `yaml:"topic" help:"compacted topic holding positions, keyed by connector name"`
	File          string        `yaml:"file" help:"file holding the position when store=file"`
	FlushInterval time.Duration `yaml:"flush_interval" help:"how often the acknowledged position is saved"`
}

// Default returns the defaults.
func Default() *Config {
	return &Config{
		Name:        "tandem-source",
		TopicPrefix: "tandem",
		MySQL: MySQL{Flavor: "mariadb", Addr: "127.0.0.1:3306", User: "tandem_cdc", ServerID: 48213,
			Heartbeat: 5 * time.Second, ReadTimeout: 30 * time.Second},
		Kafka: Kafka{Brokers: []string{"127.0.0.1:9092"}, Partitions: 1, ReplicationFactor: 1, CleanupPolicy: "delete",
			Compression: "none", BatchSize: 2000, BatchBytes: 1 << 20, Linger: 5 * time.Millisecond,
			MaxInFlightBytes: 16 << 20, WriteTimeout: 10 * time.Second, SASL: endpoint.SASL{Mechanism: "none"}},
		Events: Events{Schemas: true, DecimalFormat: "base64", DecimalMode: "precise", BigIntUnsignedMode: "long",
			Tombstones: true, ContextHeaders: true, MaxQueryBytes: 64 << 10},
		Snapshot:      Snapshot{Mode: "initial", ChunkSize: 10000, ProgressInterval: 10 * time.Second},
		Offsets:       Offsets{Store: "kafka", Topic: "tandem-source-offsets", FlushInterval: time.Second},
		Log:           cfgload.LogConfig{Level: "info", Format: "text"},
		MemoryLimitMB: 80,
	}
}

// Resolve reads secrets from their files. It runs after loading, before Validate.
func (c *Config) Resolve() error {
	var err error
	c.MySQL.Password, err = cfgload.Secret(c.MySQL.Password, c.MySQL.PasswordFile, "mysql.password")
	return errors.Join(err, c.Kafka.SASL.Resolve("kafka.sasl"))
}

// Validate reports every invalid setting, each named by its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Name == "" {
		bad("name", "must be set")
	}
	if !topicSafe.MatchString(c.TopicPrefix) {
		bad("topic_prefix", "%q must be letters, digits, '.', '_' or '-'", c.TopicPrefix)
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
	if c.MySQL.ServerID == 0 {
		bad("mysql.server_id", "must be a non-zero id no other replica of the server uses")
	}
	if c.MySQL.StartPos != 0 && c.MySQL.StartFile == "" {
		bad("mysql.start_pos", "needs mysql.start_file")
	}
	if c.MySQL.Heartbeat <= 0 || c.MySQL.ReadTimeout <= c.MySQL.Heartbeat {
		bad("mysql.read_timeout", "must be longer than mysql.heartbeat (%s)", c.MySQL.Heartbeat)
	}
	if len(c.Kafka.Brokers) == 0 {
		bad("kafka.brokers", "must list at least one broker")
	}
	for _, b := range c.Kafka.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			bad("kafka.brokers", "%q is not host:port", b)
		}
	}
	if c.Kafka.Partitions < 1 {
		bad("kafka.partitions", "must be at least 1")
	}
	if c.Kafka.ReplicationFactor < 1 {
		bad("kafka.replication_factor", "must be at least 1")
	}
	if c.Kafka.CleanupPolicy != "delete" && c.Kafka.CleanupPolicy != "compact" {
		bad("kafka.cleanup_policy", "%q: want delete or compact", c.Kafka.CleanupPolicy)
	}
	switch c.Kafka.Compression {
	case "none", "gzip", "snappy", "lz4", "zstd":
	default:
		bad("kafka.compression", "%q: want none, gzip, snappy, lz4 or zstd", c.Kafka.Compression)
	}
	if c.Kafka.BatchSize < 1 || c.Kafka.BatchBytes < 1024 || c.Kafka.MaxInFlightBytes < c.Kafka.BatchBytes {
		bad("kafka.max_in_flight_bytes", "batch_size >= 1, batch_bytes >= 1024 and max_in_flight_bytes >= batch_bytes are needed")
	}
	errs = append(errs, c.Kafka.SASL.Validate("kafka.sasl")...)
	for key, list := range map[string][]string{
		"filters.include_databases": c.Filters.IncludeDatabases, "filters.exclude_databases": c.Filters.ExcludeDatabases,
		"filters.include_tables": c.Filters.IncludeTables, "filters.exclude_tables": c.Filters.ExcludeTables,
		"filters.exclude_columns": c.Filters.ExcludeColumns,
	} {
		for _, p := range list {
			if _, err := regexp.Compile(p); err != nil {
				bad(key, "%q is not a regular expression: %s", p, err)
			}
		}
	}
	if c.Events.DecimalFormat != "base64" && c.Events.DecimalFormat != "numeric" {
		bad("events.decimal_format", "%q: want base64 or numeric", c.Events.DecimalFormat)
	}
	if err := c.SchemaOptions().Validate(); err != nil {
		bad("events", "%s", err)
	}
	if c.Events.Connector != "" && c.Events.Connector != "mysql" && c.Events.Connector != "mariadb" {
		bad("events.connector", "%q: want mysql or mariadb", c.Events.Connector)
	}
	if c.Events.MaxQueryBytes != 0 && c.Events.MaxQueryBytes < 1024 {
		bad("events.max_query_bytes", "%d: want 0 (no bound) or at least 1024", c.Events.MaxQueryBytes)
	}
	if c.Events.HeartbeatInterval < 0 {
		bad("events.heartbeat_interval", "must not be negative")
	}
	switch c.Snapshot.Mode {
	case "initial", "initial_only", "never", "when_needed":
	default:
		bad("snapshot.mode", "%q: want initial, initial_only, never or when_needed", c.Snapshot.Mode)
	}
	if c.Snapshot.ChunkSize < 1 {
		bad("snapshot.chunk_size", "must be at least 1")
	}
	if c.Snapshot.ProgressInterval <= 0 {
		bad("snapshot.progress_interval", "must be positive")
	}
	switch c.Offsets.Store {
	case "kafka":
		if !topicSafe.MatchString(c.Offsets.Topic) {
			bad("offsets.topic", "%q is not a valid topic name", c.Offsets.Topic)
		}
	case "file":
		if c.Offsets.File == "" {
			bad("offsets.file", "must be set when offsets.store=file")
		}
	default:
		bad("offsets.store", "%q: want kafka or file", c.Offsets.Store)
	}
	if c.MemoryLimitMB < 0 {
		bad("memory_limit_mb", "must not be negative")
	}
	if c.Offsets.FlushInterval <= 0 {
		bad("offsets.flush_interval", "must be positive")
	}
	if _, err := c.MySQLTLS(); err != nil {
		bad("mysql.tls", "%s", err)
	}
	if _, _, err := c.KafkaClients(); err != nil {
		bad("kafka", "%s", err)
	}
	return errors.Join(errs...)
}

var topicSafe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

// ConnectorName is the source.connector value and the source schema's name part.
func (c *Config) ConnectorName() string {
	if c.Events.Connector != "" {
		return c.Events.Connector
	}
	return c.MySQL.Flavor
}

// SchemaOptions are the type-mapping modes, and the choices of the connector imitated: Debezium's
// MariaDB connector writes JSON columns as plain strings.
func (c *Config) SchemaOptions() schemas.Options {
	return schemas.Options{DecimalMode: c.Events.DecimalMode, BigIntUnsignedMode: c.Events.BigIntUnsignedMode,
		PlainJSON: c.ConnectorName() == "mariadb"}
}

// MySQLTLS returns the TLS client configuration for MySQL, or nil when TLS is off.
func (c *Config) MySQLTLS() (*tls.Config, error) { return c.MySQL.TLS.Client(c.MySQL.Addr) }

// KafkaClients returns the kafka-go transport and dialer for the configured cluster.
func (c *Config) KafkaClients() (*kafka.Transport, *kafka.Dialer, error) {
	return endpoint.KafkaClients(c.Kafka.Brokers, c.Kafka.TLS, c.Kafka.SASL)
}

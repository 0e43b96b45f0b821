//go:build integration

// Package itest holds the integration tests: they run against real MariaDB instances and a real Apache Kafka
// broker started by itest/env/tandem-env (see `make test`), or against any servers named in an env file.
package itest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Env holds the endpoints and credentials of the test services.
type Env struct {
	Flavor        string // "mariadb" or "mysql"
	MySQLA        string // host:port of database A (the usual source)
	MySQLB        string // host:port of database B (the usual target)
	AdminUser     string // may create databases and users
	AdminPassword string
	CDCUser       string // replication user for the source connector
	CDCPassword   string
	SinkUser      string // DML/DDL user for the sink connector
	SinkPassword  string
	KafkaBrokers  []string
	// TLSCA is the PEM file of the CA that signed A's and B's certificates; empty when the servers have
	// no TLS (servers of your own without TANDEM_MYSQL_TLS_CA: the TLS test is skipped).
	TLSCA string
	// KafkaSecureBrokers is the same broker's TLS + SASL listener, whose certificate KafkaTLSCA signed;
	// KafkaPlainUser may log in with SASL PLAIN. Empty when there is none (the TLS test is skipped).
	KafkaSecureBrokers                 []string
	KafkaTLSCA                         string
	KafkaPlainUser, KafkaPlainPassword string
	// KafkaClientLibs is a folder of Kafka's Java jars (clients, connect-api, connect-json), to run a
	// transactional producer and the JsonConverter oracle; empty when there is none (those tests are skipped).
	KafkaClientLibs string
	// ServiceA and ServiceB are the names A and B have for `tandem-env stop|start` (TANDEM_ENV_SERVICE_A/B;
	// default a and b, MariaDB's).
	ServiceA, ServiceB string
	// CrossB is the other flavor's B (host:port) and CrossBFlavor its flavor, for the cross-flavor test;
	// empty when the environment runs one flavor (TANDEM_CROSS_B_ADDR, TANDEM_CROSS_B_FLAVOR).
	CrossB, CrossBFlavor string
}

// LoadEnv reads the env file named by TANDEM_ENV_FILE (default: <repo>/.tandem-env/env, written by
// `itest/env/tandem-env up`). A variable set in the process environment wins over the file.
// It fails the test when a value is missing: the integration suite never skips for want of services.
func LoadEnv(t testing.TB) *Env {
	t.Helper()
	path := os.Getenv("TANDEM_ENV_FILE")
	if path == "" {
		path = filepath.Join("..", ".tandem-env", "env")
	}
	vars, err := readEnvFile(path)
	if err != nil {
		t.Fatalf("integration environment: %v; start it with `make env-up` or set TANDEM_ENV_FILE", err)
	}
	optional := func(key string) string {
		if v, ok := os.LookupEnv(key); ok {
			return v
		}
		return vars[key]
	}
	get := func(key string) string {
		v := optional(key)
		if v == "" {
			t.Fatalf("integration environment: %s is not set in %s or the environment", key, path)
		}
		return v
	}
	orDefault := func(key, def string) string {
		if v := optional(key); v != "" {
			return v
		}
		return def
	}
	env := &Env{
		Flavor:             get("TANDEM_MYSQL_FLAVOR"),
		MySQLA:             get("TANDEM_MYSQL_A_ADDR"),
		MySQLB:             get("TANDEM_MYSQL_B_ADDR"),
		AdminUser:          get("TANDEM_MYSQL_ADMIN_USER"),
		AdminPassword:      get("TANDEM_MYSQL_ADMIN_PASSWORD"),
		CDCUser:            get("TANDEM_MYSQL_CDC_USER"),
		CDCPassword:        get("TANDEM_MYSQL_CDC_PASSWORD"),
		SinkUser:           get("TANDEM_MYSQL_SINK_USER"),
		SinkPassword:       get("TANDEM_MYSQL_SINK_PASSWORD"),
		KafkaBrokers:       strings.Split(get("TANDEM_KAFKA_BROKERS"), ","),
		TLSCA:              optional("TANDEM_MYSQL_TLS_CA"),
		KafkaTLSCA:         optional("TANDEM_KAFKA_TLS_CA"),
		KafkaSecureBrokers: strings.FieldsFunc(optional("TANDEM_KAFKA_SASL_SSL_BROKERS"), func(r rune) bool { return r == ',' }),
		KafkaPlainUser:     optional("TANDEM_KAFKA_PLAIN_USER"),
		KafkaPlainPassword: optional("TANDEM_KAFKA_PLAIN_PASSWORD"),
		KafkaClientLibs:    optional("TANDEM_KAFKA_CLIENT_LIBS"),
		ServiceA:           orDefault("TANDEM_ENV_SERVICE_A", "a"),
		ServiceB:           orDefault("TANDEM_ENV_SERVICE_B", "b"),
		CrossB:             optional("TANDEM_CROSS_B_ADDR"),
		CrossBFlavor:       optional("TANDEM_CROSS_B_FLAVOR"),
	}
	serverVersions.Do(func() { logServerVersions(env) })
	return env
}

var serverVersions sync.Once

// logServerVersions prints the versions of A and B once per test run: MySQL comes from Debian sid, which
// moves.
func logServerVersions(env *Env) {
	for _, s := range []struct{ name, addr string }{{"A", env.MySQLA}, {"B", env.MySQLB}} {
		cfg := mysql.NewConfig()
		cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", s.addr, env.AdminUser, env.AdminPassword
		cfg.Timeout = 5 * time.Second
		version := "unknown"
		if db, err := sql.Open("mysql", cfg.FormatDSN()); err == nil {
			if err := db.QueryRow("SELECT VERSION()").Scan(&version); err != nil {
				version = "unknown (" + err.Error() + ")"
			}
			db.Close()
		}
		fmt.Printf("itest: %s %s at %s runs %s\n", env.Flavor, s.name, s.addr, version)
	}
}

// readEnvFile parses KEY=VALUE lines; blank lines and # comments are ignored.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		vars[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return vars, sc.Err()
}

// HostPort splits an address into host and numeric port.
func HostPort(t testing.TB, addr string) (string, uint16) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		t.Fatalf("address %q: port: %v", addr, err)
	}
	return host, uint16(port)
}

// OpenDB connects to addr as user and closes the pool when the test ends. database may be empty.
func OpenDB(t testing.TB, addr, user, password, database string) *sql.DB {
	t.Helper()
	return OpenDBWith(t, addr, user, password, database, nil)
}

// ZeroDates is the session setting for OpenDBWith under which MySQL (whose default sql_mode has
// NO_ZERO_DATE) accepts the zero dates that MariaDB's default accepts.
var ZeroDates = map[string]string{"sql_mode": "'STRICT_TRANS_TABLES'"}

// OpenDBWith is OpenDB with session variables set on every connection (name -> SQL value).
func OpenDBWith(t testing.TB, addr, user, password, database string, vars map[string]string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", addr, user, password, database
	cfg.ParseTime, cfg.Loc = true, time.UTC
	cfg.InterpolateParams = true
	cfg.Params = vars
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open %s: %v", addr, err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("connect to %s as %s: %v", addr, user, err)
	}
	return db
}

// UniqueName returns prefix followed by a random suffix, safe as a database, table or topic name.
func UniqueName(prefix string) string {
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// NewDatabase creates a database with a unique name on db's server and drops it when the test ends.
func NewDatabase(t testing.TB, db *sql.DB, prefix string) string {
	t.Helper()
	name := UniqueName(prefix)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// ServerGTID returns a server's GTID position as text: @@gtid_binlog_pos on MariaDB, @@gtid_executed on
// MySQL (uuid:1-n sets).
func ServerGTID(t testing.TB, db *sql.DB, flavor string) string {
	t.Helper()
	q := "SELECT @@global.gtid_binlog_pos"
	if flavor == "mysql" {
		q = "SELECT @@global.gtid_executed"
	}
	var pos string
	if err := db.QueryRow(q).Scan(&pos); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return pos
}

// Package preflight checks that a server is ready for change data capture and that the connector may read
// it, before the source starts, and says for each problem which setting is wrong and how to fix it.
package preflight

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// Report lists what is wrong (the source refuses to start) and what is merely risky.
type Report struct {
	Problems []string
	Warnings []string
	Server   string // version string of the server
}

// OK reports whether the source may start.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// MySQL checks the server's binlog settings and the user's privileges.
func MySQL(ctx context.Context, db *sql.DB, flavor, addr, user string) *Report {
	r := &Report{}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("cannot connect to %s as %s: %s; check mysql.addr, mysql.user and the password", addr, user, err))
		return r
	}
	vars, err := globals(ctx, db)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("cannot read the server variables on %s: %s", addr, err))
		return r
	}
	r.Server = vars["version"]
	isMariaDB := strings.Contains(strings.ToLower(vars["version"]), "mariadb")
	if isMariaDB != (flavor == "mariadb") {
		r.Problems = append(r.Problems, fmt.Sprintf("%s runs %s but mysql.flavor is %s; set mysql.flavor=%s",
			addr, vars["version"], flavor, map[bool]string{true: "mariadb", false: "mysql"}[isMariaDB]))
	}
	want := func(name, value, fix string) {
		if got, ok := vars[name]; !ok || !strings.EqualFold(got, value) {
			if !ok {
				got = "unavailable"
			}
			r.Problems = append(r.Problems, fmt.Sprintf("%s is %s on %s; %s", name, got, addr, fix))
		}
	}
	want("log_bin", "ON", "start the server with log_bin (binary logging) enabled")
	want("binlog_format", "ROW", "set binlog_format=ROW (global, and in the server's configuration) and restart the source")
	want("binlog_row_image", "FULL", "set binlog_row_image=FULL (global) and restart the source")
	want("binlog_row_metadata", "FULL", "set binlog_row_metadata=FULL (global) and restart the source")
	if isMariaDB {
		want("binlog_annotate_row_events", "ON", "set binlog_annotate_row_events=ON (global): source.query, and so loop prevention, needs the statement text")
		if !strings.EqualFold(vars["gtid_strict_mode"], "ON") {
			r.Warnings = append(r.Warnings, fmt.Sprintf("gtid_strict_mode is %s on %s; ON is recommended so GTID positions stay unambiguous", vars["gtid_strict_mode"], addr))
		}
	} else {
		if !strings.EqualFold(vars["gtid_mode"], "ON") {
			r.Warnings = append(r.Warnings, fmt.Sprintf("gtid_mode is %s on %s; positions fall back to binlog file and position (set gtid_mode=ON and enforce_gtid_consistency=ON to resume by GTID)", vars["gtid_mode"], addr))
		}
		if !strings.EqualFold(vars["binlog_rows_query_log_events"], "ON") {
			r.Warnings = append(r.Warnings, fmt.Sprintf("binlog_rows_query_log_events is %s on %s: source.query is null for writers that do not set it in their session (tandem's sink does)", vars["binlog_rows_query_log_events"], addr))
		}
	}
	grants, err := showGrants(ctx, db)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("cannot read the grants of %s: %s", user, err))
		return r
	}
	all := strings.Contains(grants, "ALL PRIVILEGES ON *.*")
	for _, need := range []struct{ any []string }{
		{[]string{"REPLICATION SLAVE", "REPLICATION REPLICA"}},
		{[]string{"REPLICATION CLIENT", "BINLOG MONITOR", "SUPER"}},
		{[]string{"SELECT"}},
	} {
		ok := all
		for _, p := range need.any {
			ok = ok || strings.Contains(grants, p)
		}
		if !ok {
			r.Problems = append(r.Problems, fmt.Sprintf("user %s lacks %s; run GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the user", user, need.any[0]))
		}
	}
	return r
}

func globals(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'log_bin', 'binlog_format',
		'binlog_row_image', 'binlog_row_metadata', 'binlog_annotate_row_events', 'gtid_strict_mode', 'gtid_mode',
		'binlog_rows_query_log_events')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vars := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		vars[k] = v
	}
	return vars, rows.Err()
}

func showGrants(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var all []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return "", err
		}
		all = append(all, strings.ToUpper(g))
	}
	return strings.Join(all, "\n"), rows.Err()
}

// Kafka checks that the cluster answers.
func Kafka(ctx context.Context, brokers []string, transport *kafka.Transport) *Report {
	r := &Report{}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: transport, Timeout: 10 * time.Second}
	if _, err := client.Metadata(ctx, &kafka.MetadataRequest{}); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("cannot reach Kafka at %s: %s; check kafka.brokers, kafka.tls and kafka.sasl", strings.Join(brokers, ","), err))
	}
	return r
}

//go:build integration

package itest

import (
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMySQLTLS: a source and a sink whose database users REQUIRE SSL replicate A -> Kafka -> B over TLS
// (snapshot, binlog stream and applied batches), verifying the servers' certificates against the test
// CA; without TLS the same users are refused, so the test fails if the connectors fall back to plain TCP.
func TestMySQLTLS(t *testing.T) {
	env := LoadEnv(t)
	if env.TLSCA == "" {
		t.Skip("TANDEM_MYSQL_TLS_CA is not set: these servers have no TLS certificate of a known CA")
	}
	adminA := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, adminA, "itest_tls")
	mustExec(t, adminB, "CREATE DATABASE `"+db+"`")
	t.Cleanup(func() { adminB.Exec("DROP DATABASE IF EXISTS `" + db + "`") })
	for _, admin := range []*sql.DB{adminA, adminB} {
		mustExec(t, admin, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, v VARCHAR(40))")
	}
	mustExec(t, adminA, "INSERT INTO `"+db+"`.t VALUES (1, 'before the start'), (2, 'two'), (3, 'three')")

	user, password := UniqueName("tls"), "tls-user-pw"
	grant := func(admin *sql.DB, privileges string) {
		mustExec(t, admin, fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s' REQUIRE SSL", user, password),
			fmt.Sprintf("GRANT %s ON *.* TO '%s'@'127.0.0.1'", privileges, user))
		t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1'", user)) })
	}
	grant(adminA, "SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT")
	grant(adminB, "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX")
	tlsYAML := fmt.Sprintf("  tls: {enabled: true, ca_file: %s}\n", env.TLSCA)

	// Without TLS the server refuses the user: check says so and exits non-zero.
	prefix := UniqueName("tls")
	plain := WriteConfig(t, fmt.Sprintf("name: %s\ntopic_prefix: %s\nmysql: {flavor: %s, addr: %s, user: %s}\nkafka: {brokers: [%s]}\n",
		prefix, prefix, env.Flavor, env.MySQLA, user, strings.Join(env.KafkaBrokers, ",")))
	cmd := exec.Command(Binary(t, "source-connector"), "check", "--config", plain)
	cmd.Env = append(cmd.Environ(), "TANDEM_MYSQL_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "Access denied") {
		t.Fatalf("check without TLS for a REQUIRE SSL user: exit %v, want a refusal:\n%s", err, out)
	}

	src := startSourceAs(t, env, prefix, db, "", user, password, tlsYAML)
	defer src.Stop(30 * time.Second)
	waitStreaming(t, env, src, prefix)
	sinkCfg := fmt.Sprintf(`name: %s-sink
mysql: {flavor: %s, addr: %s, user: %s, tls: {enabled: true, ca_file: %s}}
kafka: {brokers: [%s], topics: [%s.%s.t]}
apply: {batch_wait: 20ms}
offsets: {database: tandem_itest}
`, prefix, env.Flavor, env.MySQLB, user, env.TLSCA, strings.Join(env.KafkaBrokers, ","), prefix, db)
	sink := Start(t, Binary(t, "sink-connector"), []string{"TANDEM_MYSQL_PASSWORD=" + password}, "run", "--config", WriteConfig(t, sinkCfg))
	defer sink.Stop(30 * time.Second)

	mustExec(t, adminA, "INSERT INTO `"+db+"`.t VALUES (4, 'streamed over TLS')",
		"UPDATE `"+db+"`.t SET v = 'updated' WHERE id = 2", "DELETE FROM `"+db+"`.t WHERE id = 3")
	sameTable(t, adminA, adminB, "`"+db+"`.t", dumpSimple, time.Minute)
	for name, p := range map[string]*Proc{"source": src, "sink": sink} {
		if p.Exited() {
			t.Fatalf("%s exited:\n%s", name, p.Log())
		}
	}
}

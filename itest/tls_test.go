//go:build integration

package itest

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestTLSAndSASL: a source and a sink whose database users REQUIRE SSL replicate A -> Kafka -> B with TLS
// to MySQL and TLS + SASL to Kafka (the source logs in with SCRAM-SHA-512, the sink with PLAIN),
// verifying every server certificate against the test CA: the snapshot, the binlog stream and the applied
// batches all go through. The same users are refused without TLS and with a wrong Kafka password, so the
// test fails if the connectors fall back to plain connections.
func TestTLSAndSASL(t *testing.T) {
	env := LoadEnv(t)
	if env.TLSCA == "" || env.KafkaTLSCA == "" || len(env.KafkaSecureBrokers) == 0 || env.KafkaPlainUser == "" {
		t.Skip("TANDEM_MYSQL_TLS_CA, TANDEM_KAFKA_TLS_CA, TANDEM_KAFKA_SASL_SSL_BROKERS or TANDEM_KAFKA_PLAIN_USER is not set")
	}
	ctx := context.Background()
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
	scramUser, scramPassword := UniqueName("scram"), "scram-user-pw"
	addScramUser(ctx, t, env, scramUser, scramPassword)

	prefix := UniqueName("tls")
	// The settings under test, as YAML flow maps.
	mysqlTLS := fmt.Sprintf("{enabled: true, ca_file: %s}", env.TLSCA)
	kafkaTLS := fmt.Sprintf("{enabled: true, ca_file: %s}", env.KafkaTLSCA)
	scram := fmt.Sprintf("{mechanism: scram-sha-512, user: %s}", scramUser)
	secure := strings.Join(env.KafkaSecureBrokers, ",")
	check := func(what, cfg string, wantOK bool, want string, extraEnv ...string) {
		t.Helper()
		cmd := exec.Command(Binary(t, "source-connector"), "check", "--config", WriteConfig(t, cfg))
		cmd.Env = append(append(cmd.Environ(), "TANDEM_MYSQL_PASSWORD="+password), extraEnv...)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK || !strings.Contains(string(out), want) {
			t.Fatalf("check %s: exit %v, want ok=%v and %q in:\n%s", what, err, wantOK, want, out)
		}
	}
	base := fmt.Sprintf("name: %s\ntopic_prefix: %s\n", prefix, prefix)
	plainMySQL := fmt.Sprintf("mysql: {flavor: %s, addr: %s, user: %s}\n", env.Flavor, env.MySQLA, user)
	tlsMySQL := fmt.Sprintf("mysql: {flavor: %s, addr: %s, user: %s, tls: %s}\n", env.Flavor, env.MySQLA, user, mysqlTLS)
	scramKafka := fmt.Sprintf("kafka: {brokers: [%s], tls: %s, sasl: %s}\n", secure, kafkaTLS, scram)
	check("without TLS to MySQL", base+plainMySQL+fmt.Sprintf("kafka: {brokers: [%s]}\n", strings.Join(env.KafkaBrokers, ",")), false, "Access denied")
	check("with a wrong SASL password", base+tlsMySQL+scramKafka, false, "Authentication failed", "TANDEM_KAFKA_SASL_PASSWORD=wrong")
	check("with TLS and SCRAM", base+tlsMySQL+scramKafka, true, "", "TANDEM_KAFKA_SASL_PASSWORD="+scramPassword)

	src := startSourceAs(t, env, prefix, db, "", sourceLogin{user: user, password: password, mysqlYAML: "  tls: " + mysqlTLS + "\n",
		brokers: env.KafkaSecureBrokers, kafkaYAML: "  tls: " + kafkaTLS + "\n  sasl: " + scram + "\n",
		env: []string{"TANDEM_KAFKA_SASL_PASSWORD=" + scramPassword}})
	defer src.Stop(30 * time.Second)
	waitStreaming(t, env, src, prefix)
	sinkCfg := fmt.Sprintf(`name: %s-sink
mysql: {flavor: %s, addr: %s, user: %s, tls: %s}
kafka: {brokers: [%s], topics: [%s.%s.t], tls: %s, sasl: {mechanism: plain, user: %s}}
apply: {batch_wait: 20ms}
offsets: {database: tandem_itest}
`, prefix, env.Flavor, env.MySQLB, user, mysqlTLS, secure, prefix, db, kafkaTLS, env.KafkaPlainUser)
	sink := Start(t, Binary(t, "sink-connector"), []string{"TANDEM_MYSQL_PASSWORD=" + password, "TANDEM_KAFKA_SASL_PASSWORD=" + env.KafkaPlainPassword},
		"run", "--config", WriteConfig(t, sinkCfg))
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

// addScramUser creates a SCRAM-SHA-512 login on the broker (through its plain-text listener).
func addScramUser(ctx context.Context, t *testing.T, env *Env, name, password string) {
	t.Helper()
	salt := make([]byte, 32)
	rand.Read(salt)
	const iterations = 4096
	salted, err := pbkdf2.Key(sha512.New, password, salt, iterations, sha512.Size)
	if err != nil {
		t.Fatal(err)
	}
	client := &kafka.Client{Addr: kafka.TCP(env.KafkaBrokers...), Timeout: 10 * time.Second}
	resp, err := client.AlterUserScramCredentials(ctx, &kafka.AlterUserScramCredentialsRequest{
		Upsertions: []kafka.UserScramCredentialsUpsertion{{Name: name, Mechanism: kafka.ScramMechanismSha512,
			Iterations: iterations, Salt: salt, SaltedPassword: salted}}})
	if err != nil {
		t.Fatalf("create SCRAM user %s: %v", name, err)
	}
	for _, r := range resp.Results {
		if r.Error != nil {
			t.Fatalf("create SCRAM user %s: %v", name, r.Error)
		}
	}
}

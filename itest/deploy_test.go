//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// deployFile returns the path of a connector config under deploy/, the files docker-compose.yml mounts.
func deployFile(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "deploy", name)
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago (the fixed series of
// nextMetricsAddr collides with other environments running the same tests on the machine).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestDeployConfigs runs docker-compose.yml's four connectors from their files under deploy/ against the
// local environment, overriding only names, addresses, the password files, the flavor and the captured
// database: a row written on A reaches B, rows written on B reach A, and nothing echoes (each topic holds
// exactly the changes made on its side plus the ones applied there, and stops growing).
func TestDeployConfigs(t *testing.T) {
	env := LoadEnv(t)
	deployBidi(t, env, server{env.MySQLA, env.Flavor}, server{env.MySQLB, env.Flavor})
}

// TestCrossFlavorBidirectional: the deploy/ connectors between this env's A and the other flavor's B
// (MySQL A <-> MariaDB B, or MariaDB A <-> MySQL B), as in a migration from one to the other. It needs
// both flavors' servers (TANDEM_CROSS_B_ADDR and TANDEM_CROSS_B_FLAVOR, written by tandem-env when it
// started both) and is skipped without them.
func TestCrossFlavorBidirectional(t *testing.T) {
	env := LoadEnv(t)
	if env.CrossB == "" {
		t.Skip("no server of the other flavor in the env file (TANDEM_CROSS_B_ADDR): start both flavors")
	}
	deployBidi(t, env, server{env.MySQLA, env.Flavor}, server{env.CrossB, env.CrossBFlavor})
}

// server is one database server of a test: its address and flavor.
type server struct{ addr, flavor string }

// deployBidi runs the deploy/ bidirectional connectors between servers a and b and checks the result.
func deployBidi(t *testing.T, env *Env, sa, sb server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := OpenDB(t, sa.addr, env.AdminUser, env.AdminPassword, "")
	b := OpenDB(t, sb.addr, env.AdminUser, env.AdminPassword, "")
	for _, s := range []struct {
		server
		db *sql.DB
	}{{sa, a}, {sb, b}} {
		var version string
		s.db.QueryRow("SELECT VERSION()").Scan(&version)
		t.Logf("%s at %s runs %s", s.flavor, s.addr, version)
	}
	db := NewDatabase(t, a, "itest_deploy")
	mustExec(t, b, "CREATE DATABASE `"+db+"`")
	t.Cleanup(func() { b.Exec("DROP DATABASE IF EXISTS `" + db + "`") })
	for _, admin := range []*sql.DB{a, b} {
		mustExec(t, admin, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, v VARCHAR(20), price DECIMAL(10,2), at DATETIME(6))")
	}
	secret := func(name, pw string) string {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cdcPW, sinkPW := secret("cdc_password", env.CDCPassword), secret("sink_password", env.SinkPassword)
	run := func(bin, file string, s server, args ...string) *Proc {
		pw := cdcPW
		if bin == "sink-connector" {
			pw = sinkPW
		}
		args = append([]string{"run", "--config", deployFile(file), "--mysql.flavor", s.flavor, "--mysql.addr", s.addr,
			"--mysql.password_file", pw, "--kafka.brokers", strings.Join(env.KafkaBrokers, ",")}, args...)
		return Start(t, Binary(t, bin), nil, args...)
	}
	pa, pb := UniqueName("depa"), UniqueName("depb")
	source := func(file, prefix string, s server) *Proc {
		return run("source-connector", file, s, "--name", prefix, "--topic_prefix", prefix,
			"--mysql.server_id", strconv.Itoa(int(nextServerID.Add(1))+16000), "--filters.include_databases", db,
			"--offsets.topic", prefix+".offsets")
	}
	sink := func(file, prefix string, s server, metrics string) *Proc {
		return run("sink-connector", file, s, "--name", prefix+"-sink", "--offsets.database", "tandem_itest",
			"--metrics.addr", metrics,
			"--kafka.topics_regex", prefix+`\.`+db+`\..*`)
	}
	metricsAB, metricsBA := freeAddr(t), freeAddr(t)
	srcA, srcB := source("source-a.yaml", pa, sa), source("source-b.yaml", pb, sb)
	waitStreaming(t, env, srcA, pa)
	waitStreaming(t, env, srcB, pb)
	procs := []*Proc{srcA, srcB, sink("sink-a-to-b.yaml", pa, sb, metricsAB), sink("sink-b-to-a.yaml", pb, sa, metricsBA)}
	alive := func() {
		for _, p := range procs {
			if p.Exited() {
				t.Fatalf("a connector exited:\n%s", p.Log())
			}
		}
	}

	mustExec(t, a, "INSERT INTO `"+db+"`.t VALUES (1, 'from a é😀', 12.50, '2024-02-29 12:00:00.123456')")
	WaitFor(t, 60*time.Second, "row 1 on B", func() bool {
		alive()
		var n int
		b.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE id = 1").Scan(&n)
		return n == 1
	})
	mustExec(t, b, "INSERT INTO `"+db+"`.t VALUES (2, 'from b', NULL, NULL)", "UPDATE `"+db+"`.t SET v = 'changed on b', price = 0.01 WHERE id = 1")
	sameTable(t, a, b, "`"+db+"`.t", dumpSimple, 60*time.Second)
	// Each side: its own changes and the ones applied to it (3 records), and no more after a while.
	topicA, topicB := pa+"."+db+".t", pb+"."+db+".t"
	WaitFor(t, 30*time.Second, "3 records in each topic", func() bool {
		alive()
		return TopicSize(ctx, env, topicA) >= 3 && TopicSize(ctx, env, topicB) >= 3
	})
	// Each sink applies the other side's own changes and skips the ones it sees coming back (marked).
	want := map[string]int64{"AB applied": 1, "AB skipped": 2, "BA applied": 2, "BA skipped": 1}
	got := map[string]int64{}
	WaitFor(t, 30*time.Second, "the sinks to apply or skip every record", func() bool {
		alive()
		got = map[string]int64{
			"AB applied": counter(t, metricsAB, "tandem_sink_changes_applied_total"),
			"AB skipped": counter(t, metricsAB, "tandem_sink_skipped_marker_total"),
			"BA applied": counter(t, metricsBA, "tandem_sink_changes_applied_total"),
			"BA skipped": counter(t, metricsBA, "tandem_sink_skipped_marker_total")}
		return got["AB applied"]+got["AB skipped"] >= 3 && got["BA applied"]+got["BA skipped"] >= 3
	})
	time.Sleep(3 * time.Second)
	if na, nb := TopicSize(ctx, env, topicA), TopicSize(ctx, env, topicB); na != 3 || nb != 3 {
		t.Errorf("topics hold %d and %d records, want 3 each: changes echo between A and B", na, nb)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sink counters %v, want %v", got, want)
	}
	for _, p := range procs {
		p.Stop(30 * time.Second)
	}
}

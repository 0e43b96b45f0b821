//go:build integration

package itest

import (
	"context"
	"database/sql"
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

// TestDeployConfigs runs docker-compose.yml's four connectors from their files under deploy/ against the
// local environment, overriding only names, addresses, the password files, the flavor and the captured
// database: a row written on A reaches B, rows written on B reach A, and nothing echoes (each topic holds
// exactly the changes made on its side plus the ones applied there, and stops growing).
func TestDeployConfigs(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	b := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, a, "itest_deploy")
	mustExec(t, b, "CREATE DATABASE `"+db+"`")
	t.Cleanup(func() { b.Exec("DROP DATABASE IF EXISTS `" + db + "`") })
	for _, admin := range []*sql.DB{a, b} {
		mustExec(t, admin, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, v VARCHAR(20))")
	}
	secret := func(name, pw string) string {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cdcPW, sinkPW := secret("cdc_password", env.CDCPassword), secret("sink_password", env.SinkPassword)
	run := func(bin, file, addr string, args ...string) *Proc {
		pw := cdcPW
		if bin == "sink-connector" {
			pw = sinkPW
		}
		args = append([]string{"run", "--config", deployFile(file), "--mysql.flavor", env.Flavor, "--mysql.addr", addr,
			"--mysql.password_file", pw, "--kafka.brokers", strings.Join(env.KafkaBrokers, ",")}, args...)
		return Start(t, Binary(t, bin), nil, args...)
	}
	pa, pb := UniqueName("depa"), UniqueName("depb")
	source := func(file, prefix, addr string) *Proc {
		return run("source-connector", file, addr, "--name", prefix, "--topic_prefix", prefix,
			"--mysql.server_id", strconv.Itoa(int(nextServerID.Add(1))+16000), "--filters.include_databases", db,
			"--offsets.topic", prefix+".offsets")
	}
	sink := func(file, prefix, addr string) *Proc {
		return run("sink-connector", file, addr, "--name", prefix+"-sink", "--offsets.database", "tandem_itest",
			"--kafka.topics_regex", prefix+`\.`+db+`\..*`)
	}
	srcA, srcB := source("source-a.yaml", pa, env.MySQLA), source("source-b.yaml", pb, env.MySQLB)
	waitStreaming(t, env, srcA, pa)
	waitStreaming(t, env, srcB, pb)
	procs := []*Proc{srcA, srcB, sink("sink-a-to-b.yaml", pa, env.MySQLB), sink("sink-b-to-a.yaml", pb, env.MySQLA)}
	alive := func() {
		for _, p := range procs {
			if p.Exited() {
				t.Fatalf("a connector exited:\n%s", p.Log())
			}
		}
	}

	mustExec(t, a, "INSERT INTO `"+db+"`.t VALUES (1, 'from a')")
	WaitFor(t, 60*time.Second, "row 1 on B", func() bool {
		alive()
		var n int
		b.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE id = 1").Scan(&n)
		return n == 1
	})
	mustExec(t, b, "INSERT INTO `"+db+"`.t VALUES (2, 'from b')", "UPDATE `"+db+"`.t SET v = 'changed on b' WHERE id = 1")
	sameTable(t, a, b, "`"+db+"`.t", dumpSimple, 60*time.Second)
	// Each side: its own changes and the ones applied to it (3 records), and no more after a while.
	topicA, topicB := pa+"."+db+".t", pb+"."+db+".t"
	WaitFor(t, 30*time.Second, "3 records in each topic", func() bool {
		alive()
		return TopicSize(ctx, env, topicA) >= 3 && TopicSize(ctx, env, topicB) >= 3
	})
	time.Sleep(3 * time.Second)
	if na, nb := TopicSize(ctx, env, topicA), TopicSize(ctx, env, topicB); na != 3 || nb != 3 {
		t.Errorf("topics hold %d and %d records, want 3 each: changes echo between A and B", na, nb)
	}
	for _, p := range procs {
		p.Stop(30 * time.Second)
	}
}

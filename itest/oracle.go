//go:build integration

package itest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// The wire-conformance oracle is Kafka Connect's own JsonConverter and SimpleHeaderConverter, run by
// testdata/ConverterOracle.java with the Kafka jars of the environment (TANDEM_KAFKA_CLIENT_LIBS, which
// itest/env/tandem-env fills from itest/env/kafka/pom.xml, connect-api and connect-json included).

// oracleLibs returns the class path of the oracle, skipping the test when no Kafka jars are configured and
// failing it when the folder lacks connect-json (an environment made before the pom listed it).
func oracleLibs(t *testing.T, env *Env) string {
	t.Helper()
	if env.KafkaClientLibs == "" {
		t.Skip("TANDEM_KAFKA_CLIENT_LIBS is not set: no Kafka Connect JsonConverter to judge the wire format with")
	}
	if m, _ := filepath.Glob(filepath.Join(env.KafkaClientLibs, "connect-json-*.jar")); len(m) == 0 {
		t.Fatalf("no connect-json jar in %s: run itest/env/tandem-env up (or kafka) to fetch it", env.KafkaClientLibs)
	}
	return filepath.Join(env.KafkaClientLibs, "*")
}

// runOracle runs ConverterOracle.java once with the given arguments and standard input, and returns its
// output lines.
func runOracle(t *testing.T, env *Env, stdin string, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", append([]string{"-Duser.timezone=UTC", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
		"-cp", oracleLibs(t, env), "testdata/ConverterOracle.java"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ConverterOracle %v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// judgeReq is one record part for the judge: kind is key, value, header or keyheader, format on, off or
// numeric (see ConverterOracle.java); data nil is a Kafka null.
type judgeReq struct {
	topic, kind, format string
	data                []byte
}

// judgeResp is the judge's answer: the bytes the converter wrote back, or the exception it threw.
type judgeResp struct {
	out []byte
	err string
}

// judge passes every request to Kafka Connect's converters in one JVM and returns the answers in order.
func judge(t *testing.T, env *Env, reqs []judgeReq) []judgeResp {
	t.Helper()
	var in strings.Builder
	for i, r := range reqs {
		fmt.Fprintf(&in, "%d\t%s\t%s\t%s\t%s\n", i, r.topic, r.kind, r.format, b64(r.data))
	}
	lines := runOracle(t, env, in.String(), "judge")
	if len(lines) != len(reqs) {
		t.Fatalf("the judge answered %d lines for %d requests", len(lines), len(reqs))
	}
	resp := make([]judgeResp, len(reqs))
	for i, l := range lines {
		f := strings.SplitN(l, "\t", 3)
		if len(f) != 3 || f[0] != fmt.Sprint(i) {
			t.Fatalf("judge answer %d: %q", i, l)
		}
		if f[1] == "ERR" {
			resp[i].err = f[2]
			continue
		}
		out, err := unb64(f[2])
		if err != nil {
			t.Fatalf("judge answer %d: %v", i, err)
		}
		resp[i].out = out
	}
	return resp
}

// oracleRecord is one record ConverterOracle.java wrote, for one variant (on, off, numeric).
type oracleRecord struct {
	variant string
	msg     kafka.Message
}

// oracleRecords runs the oracle's write mode for database db.
func oracleRecords(t *testing.T, env *Env, db string) []oracleRecord {
	t.Helper()
	var out []oracleRecord
	for _, l := range runOracle(t, env, "", "write", db) {
		f := strings.Split(l, "\t")
		if len(f) < 3 || len(f)%2 == 0 {
			t.Fatalf("oracle record: %q", l)
		}
		var m kafka.Message
		var err1, err2 error
		m.Key, err1 = unb64(f[1])
		m.Value, err2 = unb64(f[2])
		for i := 3; i < len(f) && err1 == nil; i += 2 {
			var v []byte
			v, err1 = unb64(f[i+1])
			m.Headers = append(m.Headers, kafka.Header{Key: f[i], Value: v})
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("oracle record %q: %v %v", l, err1, err2)
		}
		out = append(out, oracleRecord{variant: f[0], msg: m})
	}
	return out
}

func b64(b []byte) string {
	if b == nil {
		return "~"
	}
	return base64.StdEncoding.EncodeToString(b)
}

func unb64(s string) ([]byte, error) {
	if s == "~" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if b == nil && err == nil {
		b = []byte{} // an empty record part, not a null
	}
	return b, err
}

// jsonDiff compares two JSON documents semantically: object members in any order, numbers by exact
// decimal value (1.5E300 equals 1.5e+300), arrays in order. It returns "" when they are equal, else where
// they first differ. Bytes that are not JSON are compared as they are.
func jsonDiff(a, b []byte) string {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return ""
		}
		return fmt.Sprintf("null vs %q", firstNonNil(a, b))
	}
	va, errA := parseJSON(a)
	vb, errB := parseJSON(b)
	if errA != nil || errB != nil {
		if bytes.Equal(a, b) {
			return ""
		}
		return fmt.Sprintf("%q vs %q", a, b)
	}
	return valueDiff("$", va, vb)
}

func firstNonNil(a, b []byte) []byte {
	if a != nil {
		return a
	}
	return b
}

func parseJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func valueDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok {
				return fmt.Sprintf("%s.%s: %s vs absent", path, k, short(v))
			}
			if d := valueDiff(path+"."+k, v, w); d != "" {
				return d
			}
		}
		for k, w := range y {
			if _, ok := x[k]; !ok {
				return fmt.Sprintf("%s.%s: absent vs %s", path, k, short(w))
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))
		}
		for i := range x {
			if d := valueDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		y, ok := b.(json.Number)
		if ok && x == y {
			return ""
		}
		if ok {
			rx, okx := new(big.Rat).SetString(string(x))
			ry, oky := new(big.Rat).SetString(string(y))
			if okx && oky && rx.Cmp(ry) == 0 {
				return ""
			}
		}
		return fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))
	default:
		if a == b {
			return ""
		}
		return fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))
	}
}

// short renders a JSON value for a message, cut at 200 bytes.
func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// rawTopic reads every record of every partition of topic up to its current end, undecoded.
func rawTopic(ctx context.Context, t *testing.T, env *Env, topic string) []kafka.Message {
	t.Helper()
	conn, err := kafka.DialContext(ctx, "tcp", env.KafkaBrokers[0])
	if err != nil {
		t.Fatal(err)
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	var out []kafka.Message
	for _, p := range parts {
		out = append(out, readPartition(ctx, t, env, topic, p.ID)...)
	}
	return out
}

// keepLog copies a text into the test's log folder when TANDEM_ITEST_ORACLE_DUMP names one (for
// debugging the oracle's findings); it does nothing otherwise.
func keepLog(t *testing.T, name, text string) {
	if dir := os.Getenv("TANDEM_ITEST_ORACLE_DUMP"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Logf("dump %s: %v", name, err)
		}
	}
}

//go:build integration

package itest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// Binary builds the named daemon (source-connector or sink-connector) once per test run and returns its path.
func Binary(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "tandem-itest-bin")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir, "../source-connector", "../sink-connector").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// Proc is a daemon started by a test. Its output goes to a log file that is printed when the test fails.
type Proc struct {
	t        testing.TB
	cmd      *exec.Cmd
	log      string
	done     chan struct{}
	exitErr  error
	peakRSS  atomic.Int64 // kB, sampled from VmHWM while the process runs
	cpuTicks atomic.Int64 // user + system, sampled from /proc/<pid>/stat
}

// Start runs bin with args and env (added to the test's environment).
func Start(t testing.TB, bin string, env []string, args ...string) *Proc {
	t.Helper()
	// The log lives in the test's own temporary folder; its tail is printed when the test fails.
	logFile, err := os.CreateTemp(t.TempDir(), filepath.Base(bin)+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{t: t, cmd: cmd, log: logFile.Name(), done: make(chan struct{})}
	go func() {
		p.exitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	go p.sampleRSS()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("log of %s (%s):\n%s", filepath.Base(bin), p.log, b)
		}
	})
	return p
}

// sampleRSS keeps the peak resident set size (VmHWM) while the process runs.
func (p *Proc) sampleRSS() {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-tick.C:
			if kb := readVmHWM(p.cmd.Process.Pid); kb > p.peakRSS.Load() {
				p.peakRSS.Store(kb)
			}
			if ticks := readCPUTicks(p.cmd.Process.Pid); ticks > p.cpuTicks.Load() {
				p.cpuTicks.Store(ticks)
			}
		}
	}
}

func readVmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// readCPUTicks returns user + system CPU time of a process in clock ticks (1/100 s on Linux).
func readCPUTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count fields after its closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return user + sys
}

// CPUSeconds is the CPU time the process used, as last sampled.
func (p *Proc) CPUSeconds() float64 { return float64(p.cpuTicks.Load()) / 100 }

// PeakRSSMB is the largest resident set seen, in MB.
func (p *Proc) PeakRSSMB() float64 { return float64(p.peakRSS.Load()) / 1024 }

// Kill sends SIGKILL and waits for the exit.
func (p *Proc) Kill() {
	if p.Exited() {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Stop sends SIGTERM and waits up to timeout for the exit; it fails the test if the process did not exit
// cleanly with status 0.
func (p *Proc) Stop(timeout time.Duration) {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Kill()
		p.t.Fatalf("%s did not stop within %s of SIGTERM", filepath.Base(p.cmd.Path), timeout)
	}
	if p.exitErr != nil {
		p.t.Fatalf("%s exited with %v after SIGTERM", filepath.Base(p.cmd.Path), p.exitErr)
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Log returns the process output so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// WriteConfig writes a YAML config file for a test and returns its path.
func WriteConfig(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Record is one Kafka record read back by a test.
type Record struct {
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   map[string]string
	Event     *envelope.Event // nil for a tombstone
	KeyValues *envelope.Key
}

// ReadTopic reads every record of every partition of topic up to the current end, decoding envelopes.
func ReadTopic(ctx context.Context, t testing.TB, env *Env, topic string) []Record {
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
	cache := envelope.NewSchemaCache(64)
	var out []Record
	for _, p := range parts {
		for _, m := range readPartition(ctx, t.(*testing.T), env, topic, p.ID) {
			r := Record{Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Headers: map[string]string{}}
			for _, h := range m.Headers {
				r.Headers[h.Key] = string(h.Value)
			}
			if len(m.Value) > 0 {
				if r.Event, err = envelope.DecodeEnvelopeJSON(m.Value, cache); err != nil {
					t.Fatalf("%s[%d]@%d: %v", topic, m.Partition, m.Offset, err)
				}
			}
			if r.KeyValues, err = envelope.DecodeKeyJSON(m.Key, cache); err != nil {
				t.Fatalf("%s[%d]@%d key: %v", topic, m.Partition, m.Offset, err)
			}
			out = append(out, r)
		}
	}
	return out
}

// TopicSize returns the number of records in topic (sum of partition end offsets), 0 if it does not exist.
func TopicSize(ctx context.Context, env *Env, topic string) int64 {
	conn, err := kafka.DialContext(ctx, "tcp", env.KafkaBrokers[0])
	if err != nil {
		return 0
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range parts {
		lc, err := kafka.DialLeader(ctx, "tcp", env.KafkaBrokers[0], topic, p.ID)
		if err != nil {
			return 0
		}
		last, err := lc.ReadLastOffset()
		lc.Close()
		if err != nil {
			return 0
		}
		n += last
	}
	return n
}

// WaitFor polls cond every 100ms until it holds or the timeout passes, then fails the test with what.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// EnvInt reads an integer test parameter from the environment, with a default.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// kcatLines reads a topic with kcat in the given format.
func kcatLines(ctx context.Context, t testing.TB, env *Env, topic, format string) []string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "kcat", "-b", strings.Join(env.KafkaBrokers, ","), "-C", "-t", topic,
		"-o", "beginning", "-e", "-q", "-f", format).Output()
	if err != nil {
		t.Fatalf("kcat %s: %v", topic, err)
	}
	// Only the final newline goes: a line may end in white space (an empty tombstone value).
	text := strings.TrimSuffix(string(out), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

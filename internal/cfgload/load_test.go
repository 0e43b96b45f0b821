package cfgload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type testConfig struct {
	Name  string `yaml:"name" help:"the name"`
	MySQL struct {
		Addr     string        `yaml:"addr"`
		Password string        `yaml:"password" secret:"true"`
		Timeout  time.Duration `yaml:"timeout"`
		ServerID uint32        `yaml:"server_id"`
	} `yaml:"mysql"`
	Tables []string `yaml:"tables"`
	Tombs  bool     `yaml:"tombstones"`
}

func load(t *testing.T, yamlText string, env map[string]string, args ...string) (*testConfig, error) {
	t.Helper()
	cfg := &testConfig{Name: "default"}
	cfg.MySQL.Addr, cfg.MySQL.Timeout, cfg.Tombs = "127.0.0.1:3306", time.Second, true
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	Flags(fs, cfg)
	if yamlText != "" {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(yamlText), 0o600)
		args = append(args, "--config", path)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cfg, Load(fs, cfg)
}

func TestPrecedence(t *testing.T) {
	cfg, err := load(t, "name: file\nmysql:\n  addr: file:1\n  timeout: 5s\n  server_id: 7\ntables: [a, b]\n",
		map[string]string{"TANDEM_MYSQL_ADDR": "env:2", "TANDEM_MYSQL_PASSWORD": "pw"}, "--name", "flag")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "flag" || cfg.MySQL.Addr != "env:2" || cfg.MySQL.Timeout != 5*time.Second ||
		cfg.MySQL.ServerID != 7 || strings.Join(cfg.Tables, "|") != "a|b" || !cfg.Tombs || cfg.MySQL.Password != "pw" {
		t.Errorf("loaded %+v", cfg)
	}
	out, err := Print(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "pw") || !strings.Contains(string(out), "password: <redacted>") {
		t.Errorf("printed config leaks or hides the secret:\n%s", out)
	}
}

func TestErrors(t *testing.T) {
	if _, err := load(t, "mysql:\n  adr: x\n", nil); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Errorf("unknown key: %v", err)
	}
	_, err := load(t, "", map[string]string{"TANDEM_MYSQL_TIMEOUT": "soon", "TANDEM_MYSQL_SERVER_ID": "-1"})
	if err == nil || !strings.Contains(err.Error(), "mysql.timeout") || !strings.Contains(err.Error(), "mysql.server_id") {
		t.Errorf("want both bad values reported: %v", err)
	}
}

func TestDefaultsOnly(t *testing.T) {
	cfg, err := load(t, "", nil)
	if err != nil || cfg.MySQL.Addr != "127.0.0.1:3306" {
		t.Errorf("defaults only: %+v, %v", cfg, err)
	}
}

func TestSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(path, []byte("s3cret\n"), 0o600)
	if v, err := Secret("", path, "mysql.password"); err != nil || v != "s3cret" {
		t.Errorf("got %q, %v", v, err)
	}
	if v, _ := Secret("direct", path, "mysql.password"); v != "direct" {
		t.Errorf("value must win over file, got %q", v)
	}
	if _, err := Secret("", "/nonexistent", "mysql.password"); err == nil {
		t.Error("missing file accepted")
	}
}

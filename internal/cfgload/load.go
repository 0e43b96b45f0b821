// Package cfgload loads a daemon's configuration struct with one precedence for every setting:
// command-line flags over environment variables over the YAML file over the struct's defaults.
//
// The struct describes itself with tags: `yaml:"name"` names a key (nested structs are sections),
// `help:"…"` documents it for --help, and `secret:"true"` keeps its value out of printed configuration.
// Each leaf gets the flag --section.key and the environment variable TANDEM_SECTION_KEY. Leaves may be
// string, bool, int, uint32, time.Duration or []string (comma-separated in flags and the environment).
//
// Both daemons share it: it knows nothing of either.
package cfgload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// leaf is one setting of the struct.
type leaf struct {
	path   string // "mysql.addr"
	help   string
	secret bool
	value  reflect.Value
}

func (l leaf) flag() string { return l.path }

func (l leaf) env() string {
	return "TANDEM_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(l.path))
}

// leaves walks cfg (a pointer to a struct) in field order.
func leaves(cfg any) []leaf {
	var out []leaf
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			fv := v.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
				walk(fv, path)
				continue
			}
			out = append(out, leaf{path: path, help: f.Tag.Get("help"), secret: f.Tag.Get("secret") == "true", value: fv})
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), "")
	return out
}

// Flags registers one flag per setting on fs, showing the defaults held by cfg.
func Flags(fs *pflag.FlagSet, cfg any) {
	fs.StringP("config", "c", "", "YAML configuration file")
	for _, l := range leaves(cfg) {
		def := format(l.value)
		if l.secret {
			def = ""
		}
		help := l.help
		if help == "" {
			help = l.path
		}
		fs.String(l.flag(), def, help+" (env "+l.env()+")")
	}
}

// Load fills cfg, which holds the defaults, from the YAML file named by the --config flag, then the
// environment, then the flags the user set. Unknown YAML keys and unparsable values are errors naming the
// key; every problem is reported at once.
func Load(fs *pflag.FlagSet, cfg any) error {
	if path, _ := fs.GetString("config"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // an empty file sets nothing
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	var errs []error
	for _, l := range leaves(cfg) {
		if v, ok := os.LookupEnv(l.env()); ok {
			if err := set(l.value, v); err != nil {
				errs = append(errs, fmt.Errorf("%s (from %s): %w", l.path, l.env(), err))
			}
		}
		if f := fs.Lookup(l.flag()); f != nil && f.Changed {
			if err := set(l.value, f.Value.String()); err != nil {
				errs = append(errs, fmt.Errorf("%s (from --%s): %w", l.path, l.flag(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// Print returns the effective configuration as YAML, secrets replaced by "<redacted>" when set.
func Print(cfg any) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	sections := map[string]*yaml.Node{"": root}
	for _, l := range leaves(cfg) {
		parent := root
		parts := strings.Split(l.path, ".")
		for i := range parts[:len(parts)-1] {
			key := strings.Join(parts[:i+1], ".")
			node, ok := sections[key]
			if !ok {
				node = &yaml.Node{Kind: yaml.MappingNode}
				parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: parts[i]}, node)
				sections[key] = node
			}
			parent = node
		}
		var value yaml.Node
		v := l.value.Interface()
		if l.secret && format(l.value) != "" {
			v = "<redacted>"
		}
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		if err := value.Encode(v); err != nil {
			return nil, err
		}
		parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: parts[len(parts)-1]}, &value)
	}
	return yaml.Marshal(root)
}

func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case []string:
		return strings.Join(x, ",")
	case time.Duration:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

func set(v reflect.Value, s string) error {
	switch v.Interface().(type) {
	case string:
		v.SetString(s)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(int64(n))
	case uint32:
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return fmt.Errorf("%q is not a whole number from 0 to 4294967295", s)
		}
		v.SetUint(n)
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 500ms or 10s", s)
		}
		v.SetInt(int64(d))
	case []string:
		var list []string
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("settings of type %s are not supported", v.Type())
	}
	return nil
}

// Secret returns value, or the trimmed content of file when value is empty and file is set: secrets come
// from the environment or a file, never from a command line others can read.
func Secret(value, file, key string) (string, error) {
	if value != "" || file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_file: %w", key, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// NewLogger returns a slog logger writing to w at level (debug, info, warn, error) as text or json.
func NewLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log.level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log.format %q: want text or json", format)
}

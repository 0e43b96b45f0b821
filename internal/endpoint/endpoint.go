// Package endpoint holds the connection settings both daemons share: TLS for MySQL and Kafka, SASL for
// Kafka, and the kafka-go transport and dialer built from them.
package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/tandemcdc/tandem/internal/cfgload"
)

// TLS configures a TLS client.
type TLS struct {
	Enabled    bool   `yaml:"enabled" help:"connect with TLS"`
	CAFile     string `yaml:"ca_file" help:"PEM file of the CA that signed the server certificate (default: system roots)"`
	CertFile   string `yaml:"cert_file" help:"PEM client certificate, for mutual TLS"`
	KeyFile    string `yaml:"key_file" help:"PEM client key, for mutual TLS"`
	ServerName string `yaml:"server_name" help:"name to verify in the server certificate (default: the host)"`
	SkipVerify bool   `yaml:"insecure_skip_verify" help:"do not verify the server certificate (testing only)"`
}

// Client returns the client configuration for a server at addr (host:port), or nil when TLS is off.
// With addr "" and no server_name, the name to verify is left for each connection to set.
func (t TLS) Client(addr string) (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(addr)
	cfg := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.SkipVerify, MinVersion: tls.VersionTLS12}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// SASL authenticates to Kafka.
type SASL struct {
	Mechanism    string `yaml:"mechanism" help:"none, plain, scram-sha-256 or scram-sha-512"`
	User         string `yaml:"user" help:"SASL user"`
	Password     string `yaml:"password" secret:"true" help:"SASL password (prefer the environment or password_file)"`
	PasswordFile string `yaml:"password_file" help:"file holding the SASL password"`
}

// Validate checks the mechanism and that a user is named when one is used; key prefixes the messages.
func (s SASL) Validate(key string) []error {
	var errs []error
	switch s.Mechanism {
	case "none", "plain", "scram-sha-256", "scram-sha-512":
	default:
		errs = append(errs, fmt.Errorf("%s.mechanism: %q: want none, plain, scram-sha-256 or scram-sha-512", key, s.Mechanism))
	}
	if s.Mechanism != "none" && s.User == "" {
		errs = append(errs, fmt.Errorf("%s.user: must be set for SASL %s", key, s.Mechanism))
	}
	return errs
}

// Resolve reads the password from its file when it is not given directly.
func (s *SASL) Resolve(key string) error {
	var err error
	s.Password, err = cfgload.Secret(s.Password, s.PasswordFile, key+".password")
	return err
}

// KafkaClients returns the transport (producers, admin) and dialer (readers, consumer groups) for a
// cluster, with TLS and SASL when set.
func KafkaClients(brokers []string, t TLS, s SASL) (*kafka.Transport, *kafka.Dialer, error) {
	// No address: each connection verifies its own broker's host name unless server_name is set.
	tlsCfg, err := t.Client("")
	if err != nil {
		return nil, nil, fmt.Errorf("kafka.tls: %w", err)
	}
	var mech sasl.Mechanism
	switch s.Mechanism {
	case "plain":
		mech = plain.Mechanism{Username: s.User, Password: s.Password}
	case "scram-sha-256", "scram-sha-512":
		algo := scram.SHA256
		if s.Mechanism == "scram-sha-512" {
			algo = scram.SHA512
		}
		if mech, err = scram.Mechanism(algo, s.User, s.Password); err != nil {
			return nil, nil, fmt.Errorf("kafka.sasl: %w", err)
		}
	}
	transport := &kafka.Transport{TLS: tlsCfg, SASL: mech, DialTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	dialer := &kafka.Dialer{SASLMechanism: mech, Timeout: 10 * time.Second, DialFunc: kafkaDial(tlsCfg, 10*time.Second)}
	return transport, dialer, nil
}

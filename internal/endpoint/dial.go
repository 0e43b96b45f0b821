package endpoint

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"time"
)

// readBuffer is the read buffer of each Kafka connection a dialer opens. kafka-go reads through a
// 4 KiB buffer of its own, which costs a read system call for every one or two records of a fetch; a
// larger buffer under it makes that one call per 128 KiB.
const readBuffer = 128 << 10

// bufferedConn is a connection whose reads go through a large buffer.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// kafkaDial returns a dial function for kafka.Dialer that connects over TCP, adds TLS when tlsCfg is
// set (verifying each broker's own host name unless the configuration names one) and buffers reads.
// SASL is done by kafka-go on the connection returned.
func kafkaDial(tlsCfg *tls.Config, timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tlsCfg != nil {
			cfg := tlsCfg
			if cfg.ServerName == "" {
				cfg = tlsCfg.Clone()
				cfg.ServerName, _, _ = net.SplitHostPort(addr)
			}
			tc := tls.Client(conn, cfg)
			hctx, cancel := context.WithTimeout(ctx, timeout)
			err := tc.HandshakeContext(hctx)
			cancel()
			if err != nil {
				conn.Close()
				return nil, err
			}
			conn = tc
		}
		return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, readBuffer)}, nil
	}
}

package tests

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/respd/respd/internal/oracle"
	"github.com/respd/respd/internal/servertest"
)

// testPKI is a CA with a server and a client certificate, and a node
// certificate good for both ends (a replica presents its server
// certificate to its master), as PEM files.
type testPKI struct {
	dir                       string
	ca, serverCert, serverKey string
	clientCert, clientKey     string
	nodeCert, nodeKey         string
	caPool                    *x509.CertPool
	client                    tls.Certificate
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "respd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p.ca = p.write(t, "ca.crt", "CERTIFICATE", caDER)
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(caCert)
	issue := func(name string, serial int64, usage ...x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return p.write(t, name+".crt", "CERTIFICATE", der), p.write(t, name+".key", "EC PRIVATE KEY", keyDER)
	}
	p.serverCert, p.serverKey = issue("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = issue("client", 3, x509.ExtKeyUsageClientAuth)
	p.nodeCert, p.nodeKey = issue("node", 4, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	p.client, err = tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) write(t *testing.T, name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTLS serves TLS with client certificates required: a client with one
// works (go-redis and redis-cli --tls), one without is refused, and the
// plain port keeps working beside it.
func TestTLS(t *testing.T) {
	ctx := context.Background()
	pki := newPKI(t)
	port := oracle.FreePort(t)
	in := servertest.Start(t, "--tls-port", fmt.Sprint(port), "--tls-cert-file", pki.serverCert,
		"--tls-key-file", pki.serverKey, "--tls-ca-cert-file", pki.ca)
	addr := fmt.Sprint("127.0.0.1:", port)
	c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, TLSConfig: &tls.Config{
		RootCAs: pki.caPool, Certificates: []tls.Certificate{pki.client}, ServerName: "127.0.0.1"}})
	defer c.Close()
	if err := c.Set(ctx, "over", "tls", 0).Err(); err != nil {
		t.Fatalf("SET over TLS: %v", err)
	}
	if v, err := in.Client(t).Get(ctx, "over").Result(); v != "tls" {
		t.Fatalf("the plain port sees %q, %v", v, err)
	}
	anon := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, MaxRetries: -1,
		TLSConfig: &tls.Config{RootCAs: pki.caPool, ServerName: "127.0.0.1"}})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil {
		t.Fatal("a client without a certificate was served with tls-auth-clients yes")
	}
	if cli, err := exec.LookPath("redis-cli"); err == nil {
		out, err := exec.Command(cli, "-h", "127.0.0.1", "-p", fmt.Sprint(port), "--tls", "--cacert", pki.ca,
			"--cert", pki.clientCert, "--key", pki.clientKey, "GET", "over").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "tls" {
			t.Fatalf("redis-cli --tls: %v %q", err, out)
		}
	}
}

// TestUnixSocket serves a unix socket next to TCP, naming its clients by
// the socket path as Redis does.
func TestUnixSocket(t *testing.T) {
	ctx := context.Background()
	sock := filepath.Join(t.TempDir(), "respd.sock")
	servertest.Start(t, "--unixsocket", sock, "--unixsocketperm", "700")
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: sock, DisableIdentity: true})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	info := c.ClientInfo(ctx).Val()
	if info == nil || info.Addr != sock+":0" || info.LAddr != sock+":0" {
		t.Fatalf("CLIENT INFO over the socket: %+v", info)
	}
	st, err := os.Stat(sock)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket mode %v, %v", st.Mode(), err)
	}
}

// tlsArgs configures a TLS port with cert as the certificate and pki's
// CA for the peers, in respd's "--name value" form (which redis-server
// takes as well).
func (p *testPKI) tlsArgs(port int, cert, key string) []string {
	return []string{"--tls-port", fmt.Sprint(port), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", p.ca}
}

// replicaLinkPort is the local port of the master's connection from its
// one replica, as CLIENT LIST TYPE replica shows it.
func replicaLinkPort(t *testing.T, master string) string {
	t.Helper()
	list := do(t, master, "CLIENT", "LIST", "TYPE", "replica").(string)
	for _, f := range strings.Fields(list) {
		if v, ok := strings.CutPrefix(f, "laddr="); ok {
			_, port := hostPort(t, v)
			return port
		}
	}
	t.Fatalf("no replica in CLIENT LIST of %s: %q", master, list)
	return ""
}

// TestTLSReplication: with tls-replication yes a replica reaches its
// master's TLS port, presenting a certificate the master checks, and
// verifies the master's; respd to respd (with tls-client-cert-file as
// the replica's certificate), respd following real redis-server and real
// redis-server following respd. The datasets end equal, and the master's
// replica connection is on its TLS port.
func TestTLSReplication(t *testing.T) {
	pki := newPKI(t)
	// The dataset goes over in the full sync (a consumer's seen-time
	// would differ if XREADGROUP ran once the replica was there), the
	// writer's load through the stream.
	check := func(t *testing.T, master string, startReplica func() string, masterTLS int) {
		t.Helper()
		populate(t, master)
		replica := startReplica()
		w := startWriter(master, 1)
		time.Sleep(200 * time.Millisecond)
		w.finish(t)
		waitSynced(t, 60*time.Second, master, replica)
		sameData(t, master, replica)
		if got := replicaLinkPort(t, master); got != fmt.Sprint(masterTLS) {
			t.Fatalf("the replica's link ends on port %s, not the TLS port %d", got, masterTLS)
		}
	}
	t.Run("respd-respd", func(t *testing.T) {
		mport, rport := oracle.FreePort(t), oracle.FreePort(t)
		master := servertest.Start(t, pki.tlsArgs(mport, pki.serverCert, pki.serverKey)...)
		// The replica's server certificate cannot serve as a client one:
		// the master accepts it only through tls-client-cert-file.
		args := append(pki.tlsArgs(rport, pki.serverCert, pki.serverKey), "--tls-replication", "yes",
			"--tls-client-cert-file", pki.clientCert, "--tls-client-key-file", pki.clientKey,
			"--replicaof", fmt.Sprint("127.0.0.1 ", mport))
		var replica string
		check(t, master.Addr, func() string { replica = servertest.Start(t, args...).Addr; return replica }, mport)
		// Over TLS the replica announces its TLS port.
		if s0 := info(t, master.Addr, "slave0"); !strings.Contains(s0, fmt.Sprintf(",port=%d,", rport)) {
			t.Fatalf("slave0:%s, want port=%d", s0, rport)
		}
	})
	t.Run("respd-replica-of-redis", func(t *testing.T) {
		mport := oracle.FreePort(t)
		master := servertest.RedisServer(t, append(pki.tlsArgs(mport, pki.nodeCert, pki.nodeKey), "--repl-diskless-sync-delay", "0")...)
		args := append(pki.tlsArgs(oracle.FreePort(t), pki.nodeCert, pki.nodeKey), "--tls-replication", "yes",
			"--replicaof", fmt.Sprint("127.0.0.1 ", mport))
		check(t, master, func() string { return servertest.Start(t, args...).Addr }, mport)
	})
	t.Run("redis-replica-of-respd", func(t *testing.T) {
		mport := oracle.FreePort(t)
		master := servertest.Start(t, pki.tlsArgs(mport, pki.nodeCert, pki.nodeKey)...)
		args := append(pki.tlsArgs(oracle.FreePort(t), pki.nodeCert, pki.nodeKey), "--tls-replication", "yes",
			"--replicaof", "127.0.0.1", fmt.Sprint(mport))
		check(t, master.Addr, func() string { return servertest.RedisServer(t, args...) }, mport)
	})
	t.Run("enabled-at-run-time", func(t *testing.T) {
		mport := oracle.FreePort(t)
		master := servertest.Start(t, pki.tlsArgs(mport, pki.nodeCert, pki.nodeKey)...)
		replica := servertest.Start(t, pki.tlsArgs(oracle.FreePort(t), pki.nodeCert, pki.nodeKey)...)
		do(t, replica.Addr, "CONFIG", "SET", "tls-replication", "yes")
		check(t, master.Addr, func() string {
			do(t, replica.Addr, "REPLICAOF", "127.0.0.1", fmt.Sprint(mport))
			return replica.Addr
		}, mport)
	})
	t.Run("config-set-refusals", func(t *testing.T) {
		// Without certificates, or with a bad value, CONFIG SET is
		// refused with Redis's words.
		a, b := servertest.Start(t).Raw(t), servertest.Dial(t, servertest.RedisServer(t))
		for _, cmd := range [][]string{
			{"CONFIG", "SET", "tls-replication", "yes"}, {"CONFIG", "SET", "tls-replication", "maybe"},
			{"CONFIG", "SET", "tls-replication", "no"}, {"CONFIG", "GET", "tls-replication"},
			{"CONFIG", "SET", "tls-cert-file", pki.nodeCert, "tls-key-file", pki.nodeKey},
			{"CONFIG", "SET", "tls-replication", "yes"},
			{"CONFIG", "SET", "tls-ca-cert-file", pki.ca},
			{"CONFIG", "SET", "tls-replication", "YES"}, {"CONFIG", "GET", "tls-replication"},
		} {
			if got, want := a.Do(cmd...), b.Do(cmd...); got != want {
				t.Errorf("%v: respd %q, redis %q", cmd, got, want)
			}
		}
	})
	t.Run("untrusted-master", func(t *testing.T) {
		// The replica trusts another CA: it must not sync, though the
		// master would take it (tls-auth-clients no).
		other := newPKI(t)
		mport := oracle.FreePort(t)
		master := servertest.Start(t, append(pki.tlsArgs(mport, pki.nodeCert, pki.nodeKey), "--tls-auth-clients", "no")...)
		do(t, master.Addr, "SET", "k", "v")
		args := append(other.tlsArgs(oracle.FreePort(t), other.nodeCert, other.nodeKey), "--tls-replication", "yes",
			"--replicaof", fmt.Sprint("127.0.0.1 ", mport))
		replica := servertest.Start(t, args...)
		time.Sleep(1500 * time.Millisecond)
		if st := info(t, replica.Addr, "master_link_status"); st != "down" {
			t.Fatalf("master_link_status %s with an untrusted master", st)
		}
		if n := do(t, replica.Addr, "DBSIZE").(int64); n != 0 {
			t.Fatalf("the replica got %d keys from an untrusted master", n)
		}
	})
	t.Run("no-certificates", func(t *testing.T) {
		// tls-replication needs a certificate and CAs to start, as in
		// Redis.
		if err := servertest.StartErr(t, "--tls-replication", "yes"); err == nil {
			t.Fatal("started with tls-replication and no certificate")
		}
		if err := servertest.StartErr(t, "--tls-replication", "yes", "--tls-cert-file", pki.nodeCert, "--tls-key-file", pki.nodeKey); err == nil {
			t.Fatal("started with tls-replication and no CA")
		}
	})
}

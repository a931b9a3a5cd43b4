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

// testPKI is a CA with a server and a client certificate, as PEM files.
type testPKI struct {
	dir                       string
	ca, serverCert, serverKey string
	clientCert, clientKey     string
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
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
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

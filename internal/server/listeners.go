package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// extraListeners opens what the configuration asks beyond plain TCP: a
// TLS port (tls-port, with tls-cert-file/tls-key-file, and client
// certificates checked against tls-ca-cert-file per tls-auth-clients) and
// a unix socket (unixsocket, unixsocketperm). Replicas connect to the TLS
// port like any client. With tls-replication, the client side must be
// usable too, or the server does not start, as in Redis.
func (s *Server) extraListeners(addrs []string) ([]net.Listener, error) {
	var out []net.Listener
	if s.cfg.Bool("tls-replication") {
		if _, err := s.tlsClientConfig(); err != nil {
			return nil, err
		}
	}
	if port := s.cfg.Get("tls-port"); port != "0" {
		conf, err := s.tlsConfig()
		if err != nil {
			return nil, err
		}
		for _, addr := range addrs {
			optional := strings.HasPrefix(addr, "-")
			addr = strings.TrimPrefix(addr, "-")
			ln, err := net.Listen("tcp", net.JoinHostPort(bindHost(addr), port))
			if err != nil {
				if optional {
					continue
				}
				closeAll(out)
				return nil, err
			}
			// TLS goes on per connection, above its sockConn (output.go).
			out = append(out, &tlsListener{Listener: ln, conf: conf})
		}
	}
	if path := s.cfg.Get("unixsocket"); path != "" {
		os.Remove(path) // a stale socket from an earlier run, as Redis does
		ln, err := net.Listen("unix", path)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("Failed opening Unix socket: %v", err)
		}
		if perm := s.cfg.Int("unixsocketperm"); perm != 0 {
			os.Chmod(path, os.FileMode(perm))
		}
		out = append(out, ln)
	}
	return out, nil
}

func closeAll(ls []net.Listener) {
	for _, ln := range ls {
		ln.Close()
	}
}

// bindHost maps Redis's bind wildcards to Go listen addresses.
func bindHost(addr string) string {
	switch addr {
	case "*":
		return "0.0.0.0"
	case "::*":
		return "::"
	}
	return addr
}

// tlsConfig builds the server side of TLS from the tls-* directives.
func (s *Server) tlsConfig() (*tls.Config, error) {
	certFile, keyFile := s.cfg.Get("tls-cert-file"), s.cfg.Get("tls-key-file")
	if certFile == "" || keyFile == "" {
		return nil, errors.New("Failed to configure TLS. Check logs for more info.: tls-cert-file and tls-key-file are required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if p := s.cfg.Get("tls-protocols"); p != "" && !strings.Contains(p, "TLSv1.2") {
		conf.MinVersion = tls.VersionTLS13
	}
	switch s.cfg.Get("tls-auth-clients") {
	case "yes":
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if conf.ClientAuth != tls.NoClientCert {
		pool, err := s.tlsCAs("tls-auth-clients")
		if err != nil {
			return nil, err
		}
		conf.ClientCAs = pool
	}
	return conf, nil
}

// tlsCAs loads the certificate authorities of tls-ca-cert-file and
// tls-ca-cert-dir (every PEM file in it), which what needs them (named
// by why) cannot do without.
func (s *Server) tlsCAs(why string) (*x509.CertPool, error) {
	file, dir := s.cfg.Get("tls-ca-cert-file"), s.cfg.Get("tls-ca-cert-dir")
	if file == "" && dir == "" {
		return nil, fmt.Errorf("Failed to configure TLS. Check logs for more info.: %s needs tls-ca-cert-file or tls-ca-cert-dir", why)
	}
	pool := x509.NewCertPool()
	var files []string
	if file != "" {
		files = append(files, file)
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	found := false
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
		if pool.AppendCertsFromPEM(pem) {
			found = true
		} else if f == file {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: no certificate in %s", f)
		}
	}
	if !found {
		return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: no certificate in %s", dir)
	}
	return pool, nil
}

// tlsClientConfig builds the client side of TLS, for the link to our
// master under tls-replication. Its certificate is tls-client-cert-file
// and tls-client-key-file, or the server's own when those are unset;
// the master's certificate must chain to the configured authorities.
// As in Redis, its host name is not checked against the certificate.
// Engine lock held (it reads the configuration).
func (s *Server) tlsClientConfig() (*tls.Config, error) {
	certFile, keyFile := s.cfg.Get("tls-client-cert-file"), s.cfg.Get("tls-client-key-file")
	if certFile == "" || keyFile == "" {
		certFile, keyFile = s.cfg.Get("tls-cert-file"), s.cfg.Get("tls-key-file")
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("Failed to configure TLS. Check logs for more info.: tls-cert-file and tls-key-file are required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	pool, err := s.tlsCAs("tls-replication")
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// The chain is checked below, without the host name.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the master sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		},
	}
	if p := s.cfg.Get("tls-protocols"); p != "" && !strings.Contains(p, "TLSv1.2") {
		conf.MinVersion = tls.VersionTLS13
	}
	return conf, nil
}

package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// extraListeners opens what the configuration asks beyond plain TCP: a
// TLS port (tls-port, with tls-cert-file/tls-key-file, and client
// certificates checked against tls-ca-cert-file per tls-auth-clients) and
// a unix socket (unixsocket, unixsocketperm).
func (s *Server) extraListeners(addrs []string) ([]net.Listener, error) {
	var out []net.Listener
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
		ca := s.cfg.Get("tls-ca-cert-file")
		if ca == "" {
			return nil, errors.New("Failed to configure TLS. Check logs for more info.: tls-auth-clients needs tls-ca-cert-file")
		}
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: no certificate in %s", ca)
		}
		conf.ClientCAs = pool
	}
	return conf, nil
}

package respdtest_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/respd/respd"
	"github.com/respd/respd/respdtest"
)

// ping sends PING over a plain connection and returns the reply line.
func ping(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(conn).ReadString('\n')
}

func TestServerLivesAsLongAsTheTest(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = respdtest.Addr(t)
		if reply, err := ping(addr); err != nil || reply != "+PONG\r\n" {
			t.Fatalf("PING = %q, %v", reply, err)
		}
	})
	if _, err := ping(addr); err == nil {
		t.Fatal("the server still answers after its test ended")
	}
}

func TestNewWithOptions(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := respdtest.NewWithOptions(t, respd.Options{Time: at})
	if !srv.Now().Equal(at) {
		t.Fatalf("Now = %v, want %v", srv.Now(), at)
	}
}

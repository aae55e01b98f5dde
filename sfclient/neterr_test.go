package sfclient

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

func TestTransientNetErrnos(t *testing.T) {
	for _, errno := range connErrnos {
		err := fmt.Errorf("upload part 1: %w", &net.OpError{Op: "read", Net: "tcp", Err: errno})
		if !transientNet(err) || !lostConnection(err) {
			t.Errorf("%v (errno %d) is not a lost connection", errno, uintptr(errno))
		}
	}
	if transientNet(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.Errno(2)}) {
		t.Error("errno 2 (file not found) is transient")
	}
}

// The text fallback, for errors that lost their type, matches in any case: Windows words a
// reset "An existing connection was forcibly closed by the remote host."
func TestTransientNetMessages(t *testing.T) {
	for msg, want := range map[string]bool{
		"Post \"https://x/services\": http: server closed idle connection":                                              true,
		"read tcp 10.0.0.2:50001->1.2.3.4:443: wsarecv: An existing connection was forcibly closed by the remote host.": true,
		"write tcp: wsasend: An established connection was aborted by the software in your host machine.":               true,
		"read: Connection Reset by peer":     true,
		"write: BROKEN PIPE":                 true,
		"salesforce: 400 MALFORMED_QUERY":    false,
		"open export.csv: permission denied": false,
	} {
		if got := transientNet(errors.New(msg)); got != want {
			t.Errorf("%q: transient %v, want %v", msg, got, want)
		}
	}
}

// A real reset and a real refusal on loopback are recognised by their errno, whatever the
// system calls them (ECONNRESET here, WSAECONNRESET on Windows).
func TestTransientNetRealConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Read(make([]byte, 1))       // the client is connected
		c.(*net.TCPConn).SetLinger(0) // close with a RST
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	var readErr error
	for readErr == nil {
		_, readErr = c.Read(make([]byte, 1))
	}
	if !lostConnection(readErr) {
		t.Errorf("read from a reset connection: %v (%#v), not classified as lost", readErr, errors.Unwrap(readErr))
	}
	if !transientNet(readErr) {
		t.Errorf("read from a reset connection: %v is not transient", readErr)
	}

	addr := ln.Addr().String()
	ln.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Skip("something listens on the closed port again")
	}
	if !lostConnection(err) || !transientNet(err) {
		t.Errorf("dial a closed port: %v is not a refused connection", err)
	}
}

package sfclient

import (
	"net"
	"os"
	"syscall"
	"testing"
)

// On Windows syscall.ECONNRESET is a number Go invents; sockets fail with WSAECONNRESET
// (10054), which the old comparison with ECONNRESET never matched.
func TestWindowsSocketErrorsAreLostConnections(t *testing.T) {
	if syscall.ECONNRESET == 10054 {
		t.Fatal("syscall.ECONNRESET is WSAECONNRESET here: the premise of connErrnos changed")
	}
	for _, code := range []syscall.Errno{10054, 10053, 10061} {
		err := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("wsarecv", code)}
		if !transientNet(err) {
			t.Errorf("%d (%v) is not transient", code, code)
		}
	}
}

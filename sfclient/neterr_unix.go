//go:build !windows

package sfclient

import "syscall"

// connErrnos are the errno values of a connection reset, refused or aborted by the peer, or
// written to after it went (EPIPE).
var connErrnos = []syscall.Errno{syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.EPIPE}

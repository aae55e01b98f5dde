package sfclient

import "syscall"

// connErrnos are the Windows error codes of a connection reset, refused or aborted. On
// Windows the syscall package's ECONNRESET, ECONNREFUSED and EPIPE are numbers Go invents
// (no system call returns them): a socket fails with the Winsock codes, and a read or write
// in flight on a connection that went with the system error codes below it.
var connErrnos = []syscall.Errno{
	10054, // WSAECONNRESET: "An existing connection was forcibly closed by the remote host."
	10053, // WSAECONNABORTED: "An established connection was aborted by the software in your host machine."
	10061, // WSAECONNREFUSED: "No connection could be made because the target machine actively refused it."
	10052, // WSAENETRESET: the connection was broken by keep-alive activity
	10058, // WSAESHUTDOWN: sent after the socket was shut down
	64,    // ERROR_NETNAME_DELETED: an overlapped read or write on a connection the peer reset
	1236,  // ERROR_CONNECTION_ABORTED: the local system aborted the connection
	1225,  // ERROR_CONNECTION_REFUSED: the remote system refused the connection
	232,   // ERROR_NO_DATA: "The pipe is being closed." (a write after the peer closed)
}

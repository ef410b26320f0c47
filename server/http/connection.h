// Closing a connection whose request body was never read, without destroying the response; and
// noticing a client that closed its end while a long response waits.
#pragma once

namespace vigil {

// Lingering close: after the response, stop sending and discard what the client still sends (up
// to limits::kLingerMaxBytes and kLingerTimeoutMs), so the response is not destroyed by a TCP
// reset. The body is never buffered. No-op for fd < 0.
void LingeringClose(int fd);

// The connected socket between our `local_port` and the client's `remote_port`, or -1. Used only
// when the connection layer does not know the socket (native TLS) on the rare paths that must
// close a connection whose body was never read.
int FindConnectionSocket(int local_port, int remote_port);

// True once the client has closed or reset connection `fd` (a FIN, a reset or a socket error),
// whatever it sent before; never waits. False for fd < 0. A long-lived response that only writes
// now and then (a halt stream) asks this between writes, so a client that went away frees what it
// holds at once instead of at the next failed write.
bool PeerClosed(int fd);

}  // namespace vigil

// Closing a connection whose request body was never read, without destroying the response.
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

}  // namespace vigil

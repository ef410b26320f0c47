"""Halts: the exception the agent sees, and the SSE client for remote halts (docs/api.md#halt-stream).

A remote halt cannot interrupt arbitrary Python code safely, so the listener only records it; the
wrapped function receives :class:`VigilHalt` at its next SDK call point (a ``@tool`` call,
``emit_llm_call``, ``checkpoint``, ``validator_result``, ``check_halt``, or an instrumented client).

Every halt stream of the process is served by one daemon thread multiplexing non-blocking sockets
with a selector: opening a stream costs the agent a few microseconds (no thread start, no connect on
its thread), and a thousand concurrent executions with budgets need one thread, not a thousand.
"""

import errno
import json
import logging
import os
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from typing import Callable, Deque, Dict, List, Optional, Tuple
from urllib.parse import quote

from ._transport import Endpoint, base_headers

log = logging.getLogger("vigil")

TRIGGERS = ("wall_clock", "step_count", "token_total", "cost", "remote_signal")

CONNECT_TIMEOUT_S = 5.0
# The server sends a keepalive comment every 15 s; three missed ones mean the stream is dead.
READ_TIMEOUT_S = 45.0
MAX_HEADER_BYTES = 64 * 1024
MAX_LINE_BYTES = 256 * 1024
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 30.0
DNS_CACHE_S = 60.0


class VigilHalt(Exception):
    """Raised inside a wrapped agent when its budget is exhausted or a halt was requested remotely.

    ``trigger`` is one of ``wall_clock``, ``step_count``, ``token_total``, ``cost``, ``remote_signal``;
    ``reason`` is a human-readable explanation (for remote halts, the reason given to the server);
    ``execution_id`` names the halted execution. The execution is reported with status ``halted`` and
    crash signature ``halt:<trigger>``.
    """

    def __init__(self, trigger: str, reason: str, execution_id: Optional[str] = None):
        super().__init__("%s: %s" % (trigger, reason))
        self.trigger = trigger
        self.reason = reason
        self.execution_id = execution_id

    def __reduce__(self):  # keep pickling (multiprocessing) working with the extra arguments
        return (type(self), (self.trigger, self.reason, self.execution_id))


def halt_reason(data: str) -> str:
    """The ``reason`` of a halt frame's data, else ``remote halt`` (docs/protocol.md#what-mesedi-sdks-send)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return "remote halt"
    if isinstance(doc, dict) and isinstance(doc.get("reason"), str) and doc["reason"]:
        return doc["reason"]
    return "remote halt"


# ---------------------------------------------------------------------------------------- parsing

class SSEParser:
    """Incremental server-sent-events parser: ``feed(bytes)`` returns the (event, data) pairs
    completed by those bytes. Comments (``: keepalive``) are skipped; CRLF and LF both end lines."""

    def __init__(self) -> None:
        self._pending = b""
        self._event = ""
        self._data: List[str] = []

    def feed(self, chunk: bytes) -> List[Tuple[str, str]]:
        out = []
        self._pending += chunk
        while True:
            end = self._pending.find(b"\n")
            if end < 0:
                if len(self._pending) > MAX_LINE_BYTES:
                    raise ValueError("SSE line too long")
                return out
            raw, self._pending = self._pending[:end], self._pending[end + 1:]
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if not line:
                if self._data or self._event:
                    out.append((self._event or "message", "\n".join(self._data)))
                self._event, self._data = "", []
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "event":
                    self._event = value
                elif field == "data":
                    self._data.append(value)


def parse_sse(chunks) -> List[Tuple[str, str]]:
    parser = SSEParser()
    out: List[Tuple[str, str]] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out


class ResponseParser:
    """Incremental parser of one HTTP/1.1 streaming response: head, then a chunked, sized or
    read-to-close body whose bytes go through an :class:`SSEParser`."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: Dict[str, str] = {}
        self.done = False  # the body ended (or the status was not 200)
        self._buf = b""
        self._state = "head"
        self._remaining = 0
        self._sse = SSEParser()

    def feed(self, data: bytes) -> List[Tuple[str, str]]:
        self._buf += data
        out: List[Tuple[str, str]] = []
        while not self.done:
            state, buf = self._state, self._buf
            if state == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEADER_BYTES:
                        raise ValueError("response head too large")
                    break
                self._parse_head(buf[:end].decode("latin-1"))
                self._buf = buf[end + 4:]
            elif state == "chunk-size":
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 1024:
                        raise ValueError("bad chunk header")
                    break
                size = int(buf[:end].split(b";", 1)[0].strip() or b"0", 16)
                self._buf = buf[end + 2:]
                if size == 0:
                    self.done = True
                else:
                    self._remaining, self._state = size, "chunk-data"
            elif state in ("chunk-data", "sized"):
                if not buf:
                    break
                take = buf[: self._remaining]
                self._buf = buf[len(take):]
                self._remaining -= len(take)
                out.extend(self._sse.feed(take))
                if self._remaining == 0:
                    if state == "sized":
                        self.done = True
                    else:
                        self._state = "chunk-end"
            elif state == "chunk-end":
                if len(buf) < 2:
                    break
                self._buf, self._state = buf[2:], "chunk-size"
            else:  # read until the server closes
                self._buf = b""
                out.extend(self._sse.feed(buf))
                break
        return out

    def _parse_head(self, head: str) -> None:
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ValueError("bad status line %r" % lines[0][:100])
        self.status = int(parts[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.status != 200:
            self.done = True
        elif "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._state = "chunk-size"
        elif "content-length" in self.headers:
            self._remaining = int(self.headers["content-length"])
            self._state = "sized"
            self.done = self._remaining == 0
        else:
            self._state = "until-close"


# ---------------------------------------------------------------------------------------- streams

class HaltStream:
    """``GET /executions/{id}/halt-stream`` for one execution, held open by the shared listener until
    a halt arrives or :meth:`close` is called. Reconnects with backoff while open (the server ends
    streams after an hour and on restart; a halt persisted meanwhile is delivered on reconnect,
    docs/api.md#request-a-halt). Stops for good on a 4xx other than 429 (bad key, …) with one warning."""

    def __init__(self, base_url: str, api_key: str, execution_id: str, on_halt: Callable[[str], None]):
        self.endpoint = Endpoint.parse(base_url)
        self.execution_id = execution_id
        self.on_halt = on_halt
        self.closed = False
        e = self.endpoint
        path = "%s/executions/%s/halt-stream" % (e.path_prefix, quote(execution_id, safe=""))
        lines = ["GET %s HTTP/1.1" % path, "Host: " + e.host_header(), "Accept: text/event-stream",
                 "Cache-Control: no-cache"]
        lines += ["%s: %s" % kv for kv in base_headers(api_key).items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # Listener-thread state.
        self.sock: Optional[socket.socket] = None
        self.state = "idle"
        self.deadline = 0.0  # connect/read timeout, or when to reconnect when idle
        self.backoff = RECONNECT_MIN_S
        self.outgoing = b""
        self.parser: Optional[ResponseParser] = None

    def close(self) -> None:
        """Stop listening; safe from any thread, returns at once."""
        if not self.closed:
            self.closed = True
            _listener().submit(self)


class _Listener:
    """The thread behind every :class:`HaltStream` of the process."""

    def __init__(self) -> None:
        self._ops: Deque[HaltStream] = deque()  # streams opened or closed since the last loop
        self._woken = False
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._selector: Optional[selectors.BaseSelector] = None
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None
        self._streams: List[HaltStream] = []
        self._dns: Dict[Tuple[str, int], Tuple[float, list]] = {}
        self._ssl_context: Optional[ssl.SSLContext] = None

    # agent side -------------------------------------------------------------------------

    def open(self, stream: HaltStream) -> None:
        self.submit(stream)

    def submit(self, stream: HaltStream) -> None:
        self._ops.append(stream)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._wake_r, self._wake_w = socket.socketpair()
                    self._wake_r.setblocking(False)
                    self._wake_w.setblocking(False)
                    self._selector = selectors.DefaultSelector()
                    self._selector.register(self._wake_r, selectors.EVENT_READ, None)
                    thread = threading.Thread(target=self._run, name="vigil-halt-listener", daemon=True)
                    thread.start()
                    self._thread = thread
                    return  # the new thread reads the queue before it first waits
        if not self._woken:
            self._woken = True
            try:
                self._wake_w.send(b"\0")  # type: ignore[union-attr]
            except OSError:  # buffer full: the listener is already due to wake
                pass

    # listener thread ----------------------------------------------------------------------

    def _run(self) -> None:
        selector = self._selector
        assert selector is not None
        while True:
            try:
                # Cleared before the queue is read: a stream submitted after this point sends a
                # wake-up byte, so select() below cannot sleep through it.
                self._woken = False
                while self._ops:
                    stream = self._ops.popleft()
                    if stream.closed:
                        self._finish(stream)
                    elif stream not in self._streams:
                        self._streams.append(stream)
                        self._connect(stream)
                self._check_timers()
                for key, _mask in selector.select(self._next_timeout()):
                    if key.data is None:
                        self._drain_wake()
                    else:
                        self._step(key.data)
            except Exception:  # never let a bug end the thread that every budget relies on
                log.exception("vigil: halt listener error")
                time.sleep(0.1)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):  # type: ignore[union-attr]
                pass
        except OSError:
            pass

    def _next_timeout(self) -> Optional[float]:
        if not self._streams:
            return None
        now = time.monotonic()
        return max(0.0, min(s.deadline for s in self._streams) - now)

    def _check_timers(self) -> None:
        now = time.monotonic()
        for stream in list(self._streams):
            if stream.deadline > now:
                continue
            if stream.state == "idle":
                self._connect(stream)
            else:
                self._retry(stream, "timed out while %s" % stream.state)

    def _addresses(self, host: str, port: int) -> list:
        now = time.monotonic()
        cached = self._dns.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        self._dns[(host, port)] = (now + DNS_CACHE_S, infos)
        return infos

    def _connect(self, stream: HaltStream) -> None:
        e = stream.endpoint
        try:
            family, socktype, proto, _, address = self._addresses(e.host, e.port)[0]
            sock = socket.socket(family, socktype, proto)
        except OSError as exc:
            self._retry(stream, "cannot resolve %s: %s" % (e.host, exc))
            return
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        stream.sock = sock
        stream.parser = ResponseParser()
        stream.outgoing = stream.request
        stream.state = "connecting"
        stream.deadline = time.monotonic() + CONNECT_TIMEOUT_S
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
            self._retry(stream, os.strerror(code))
            return
        self._selector.register(sock, selectors.EVENT_WRITE, stream)  # type: ignore[union-attr]

    def _step(self, stream: HaltStream) -> None:
        """Advance ``stream`` after its socket became ready."""
        if stream.closed:
            self._finish(stream)
            return
        sock = stream.sock
        assert sock is not None
        try:
            if stream.state == "connecting":
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    self._retry(stream, os.strerror(code))
                    return
                if stream.endpoint.scheme == "https":
                    if self._ssl_context is None:
                        self._ssl_context = ssl.create_default_context()
                    self._selector.unregister(sock)  # type: ignore[union-attr]
                    sock = self._ssl_context.wrap_socket(
                        sock, server_hostname=stream.endpoint.host, do_handshake_on_connect=False)
                    stream.sock = sock
                    self._selector.register(sock, selectors.EVENT_WRITE, stream)  # type: ignore[union-attr]
                    stream.state = "handshake"
                else:
                    stream.state = "sending"
            if stream.state == "handshake":
                try:
                    sock.do_handshake()  # type: ignore[attr-defined]
                except ssl.SSLWantReadError:
                    self._want(stream, selectors.EVENT_READ)
                    return
                except ssl.SSLWantWriteError:
                    self._want(stream, selectors.EVENT_WRITE)
                    return
                stream.state = "sending"
            if stream.state == "sending":
                sent = sock.send(stream.outgoing)
                stream.outgoing = stream.outgoing[sent:]
                if stream.outgoing:
                    self._want(stream, selectors.EVENT_WRITE)
                    return
                stream.state = "reading"
                stream.deadline = time.monotonic() + READ_TIMEOUT_S
                self._want(stream, selectors.EVENT_READ)
                return
            if stream.state == "reading":
                self._read(stream, sock)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
            return
        except (OSError, ValueError) as exc:
            self._retry(stream, str(exc) or type(exc).__name__)

    def _want(self, stream: HaltStream, events: int) -> None:
        self._selector.modify(stream.sock, events, stream)  # type: ignore[union-attr,arg-type]

    def _read(self, stream: HaltStream, sock: socket.socket) -> None:
        parser = stream.parser
        assert parser is not None
        while True:  # drain the socket (and TLS's own buffer, which the selector cannot see)
            try:
                data = sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
                break
            if not data:
                if not parser.done and parser.status == 200 and parser._state == "until-close":
                    parser.done = True
                if parser.status == 200:
                    stream.backoff = RECONNECT_MIN_S  # a healthy stream ended: listen again soon
                self._retry(stream, "stream ended")
                return
            stream.deadline = time.monotonic() + READ_TIMEOUT_S
            for event, payload in parser.feed(data):
                if event == "halt" and payload:
                    self._deliver(stream, halt_reason(payload))
                    return
            if parser.done:
                break
        if parser.done:
            if parser.status == 200:
                stream.backoff = RECONNECT_MIN_S
                self._retry(stream, "stream ended")
            elif 400 <= parser.status < 500 and parser.status != 429:
                log.warning("vigil: halt stream for %s refused with HTTP %d; remote halts will not "
                            "reach this execution", stream.execution_id, parser.status)
                self._finish(stream)
            else:
                from ._shipper import parse_retry_after

                self._retry(stream, "HTTP %d" % parser.status,
                            parse_retry_after(parser.headers.get("retry-after")))

    def _deliver(self, stream: HaltStream, reason: str) -> None:
        try:
            stream.on_halt(reason)
        except Exception:
            log.exception("vigil: halt callback failed")
        self._finish(stream)

    def _retry(self, stream: HaltStream, why: str, delay: Optional[float] = None) -> None:
        self._close_socket(stream)
        if stream.closed:
            self._finish(stream)
            return
        log.debug("vigil: halt stream for %s: %s; reconnecting", stream.execution_id, why)
        wait = delay if delay is not None else stream.backoff
        stream.backoff = min(stream.backoff * 2, RECONNECT_MAX_S)
        stream.state = "idle"
        stream.deadline = time.monotonic() + min(wait, RECONNECT_MAX_S)

    def _finish(self, stream: HaltStream) -> None:
        stream.closed = True
        self._close_socket(stream)
        stream.state = "finished"
        try:
            self._streams.remove(stream)
        except ValueError:
            pass

    def _close_socket(self, stream: HaltStream) -> None:
        sock, stream.sock = stream.sock, None
        if sock is None:
            return
        try:
            self._selector.unregister(sock)  # type: ignore[union-attr]
        except (KeyError, ValueError):
            pass
        try:
            sock.close()
        except OSError:
            pass


_the_listener: Optional[_Listener] = None
_listener_lock = threading.Lock()


def _listener() -> _Listener:
    global _the_listener
    listener = _the_listener
    if listener is None:
        with _listener_lock:
            if _the_listener is None:
                _the_listener = _Listener()
            listener = _the_listener
    return listener


def open_halt_stream(base_url: str, api_key: str, execution_id: str,
                     on_halt: Callable[[str], None]) -> HaltStream:
    """Start listening for halts of ``execution_id``; ``on_halt(reason)`` runs on the listener thread."""
    stream = HaltStream(base_url, api_key, execution_id, on_halt)
    _listener().open(stream)
    return stream


def _after_fork_in_child() -> None:
    global _the_listener
    _the_listener = None  # the parent's thread and sockets do not belong to the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

"""A stdlib stand-in for the Vigil server: records every request and answers like docs/api.md#ingestion/docs/api.md#halt of the spec,
with scripted failures (500, 429, 503, 4xx, slow answers), SSE halt frames, and optionally forwarding
to a real server (a fault-injecting proxy).

Binds 127.0.0.1 only. Thread-safe; tests read ``requests`` through the helpers.
"""

import http.client
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit


class Recorded:
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: bytes, connection: int):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.connection = connection  # id of the TCP connection it arrived on
        self.at = time.monotonic()
        self.status = 0  # the status answered
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self) -> str:
        return "<%s %s>" % (self.method, self.path)


class _Rule:
    def __init__(self, method: str, path_prefix: str, status: int, times: int,
                 headers: Optional[Dict[str, str]], delay: float):
        self.method, self.path_prefix, self.status = method, path_prefix, status
        self.times, self.headers, self.delay = times, headers or {}, delay


def free_port() -> int:
    """A port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeVigil:
    def __init__(self, port: int = 0, upstream: Optional[str] = None, sse_chunked: bool = True,
                 tls: Optional[Tuple[str, str]] = None):
        self.requests: List[Recorded] = []
        self.halt_streams: List[Recorded] = []
        self.upstream = upstream
        self.sse_chunked = sse_chunked
        self.close_streams_without_halt = 0  # close this many streams right after subscribing
        self._rules: List[_Rule] = []
        self._halts: Dict[str, str] = {}  # execution id -> data line to send
        self._cond = threading.Condition()
        self._stopping = False
        self._conn_ids = 0
        self._open_streams = 0
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        if tls is not None:  # (certfile, keyfile) for "localhost"
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.url = "https://localhost:%d" % self.port
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # ---------------------------------------------------------------- control

    def start(self) -> "FakeVigil":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail(self, method: str, path_prefix: str, status: int, times: int = 1,
             headers: Optional[Dict[str, str]] = None, delay: float = 0.0) -> None:
        """Answer the next ``times`` matching requests with ``status`` (after ``delay`` seconds)."""
        with self._cond:
            self._rules.append(_Rule(method, path_prefix, status, times, headers, delay))

    def halt(self, execution_id: str, reason: Optional[str] = "halted by test", raw_data: Optional[str] = None) -> None:
        """Send a halt frame to (current and future) subscribers of ``execution_id``."""
        data = raw_data if raw_data is not None else json.dumps({"reason": reason})
        with self._cond:
            self._halts[execution_id] = data
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                if predicate():
                    return True
            time.sleep(0.01)
        with self._cond:
            return predicate()

    # ---------------------------------------------------------------- reading

    def ingestion(self) -> List[Recorded]:
        """Recorded POST/PATCH requests (what the shipper sent, failed tries included), in arrival order."""
        with self._cond:
            return [r for r in self.requests if r.method in ("POST", "PATCH")]

    def accepted(self) -> List[Recorded]:
        """Ingestion requests that were answered with a success status."""
        return [r for r in self.ingestion() if 200 <= r.status < 300]

    def events(self, execution_id: Optional[str] = None) -> List[Dict[str, Any]]:
        out = []
        for r in self.accepted():
            if r.method == "POST" and r.path == "/events" and isinstance(r.json, list):
                out.extend(e for e in r.json if execution_id is None or e.get("execution_id") == execution_id)
        return out

    def creates(self) -> List[Dict[str, Any]]:
        return [r.json for r in self.accepted() if r.method == "POST" and r.path == "/executions"]

    def patches(self) -> List[Recorded]:
        """Every PATCH tried, failed ones included."""
        return [r for r in self.ingestion() if r.method == "PATCH"]

    def patch_for(self, execution_id: str) -> Optional[Dict[str, Any]]:
        """The body of the accepted end PATCH of ``execution_id``."""
        for r in self.accepted():
            if r.method == "PATCH" and r.path == "/executions/" + execution_id:
                return r.json
        return None

    @property
    def open_streams(self) -> int:
        with self._cond:
            return self._open_streams

    # ---------------------------------------------------------------- handler support

    def _next_connection_id(self) -> int:
        with self._cond:
            self._conn_ids += 1
            return self._conn_ids

    def _record(self, rec: Recorded) -> Optional[_Rule]:
        with self._cond:
            rule = None
            for candidate in self._rules:
                if candidate.times > 0 and candidate.method == rec.method and rec.path.startswith(candidate.path_prefix):
                    candidate.times -= 1
                    rule = candidate
                    break
            self.requests.append(rec)
            if rec.method == "GET" and rec.path.endswith("/halt-stream"):
                self.halt_streams.append(rec)
            return rule


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = -1  # buffered: a response leaves in one write (flushed after each request)
    server_state: FakeVigil

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.server_state._next_connection_id()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, doc: Any, headers: Optional[Dict[str, str]] = None) -> None:
        self.current.status = status
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        state = self.server_state
        body = self._body()
        rec = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                       self.connection_id)
        self.current = rec
        rule = state._record(rec)
        if rule is not None:
            if rule.delay:
                time.sleep(rule.delay)
            self._send_json(rule.status, {"ok": False, "error": "scripted %d" % rule.status}, rule.headers)
            return
        if self.command == "GET" and self.path.endswith("/halt-stream"):
            self._halt_stream(self.path.split("/")[2])
            return
        if state.upstream:
            self._forward(body)
            return
        if self.command == "POST" and self.path == "/events":
            n = len(rec.json) if isinstance(rec.json, list) else 0
            self._send_json(200, {"ok": True, "accepted": n, "rejected": 0, "duplicates": 0, "errors": []})
        elif self.path.startswith("/executions"):
            execution_id = (rec.json or {}).get("execution_id") or self.path.rsplit("/", 1)[-1]
            self._send_json(200, {"ok": True, "execution_id": execution_id, "status": "started", "created": True})
        else:
            self._send_json(404, {"ok": False, "error": "not found"})

    do_POST = do_PATCH = do_GET = _handle

    def _forward(self, body: bytes) -> None:
        parts = urlsplit(self.server_state.upstream)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.current.status = resp.status
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _write_frame(self, text: str) -> None:
        data = text.encode()
        if self.server_state.sse_chunked:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self.wfile.write(data)
        self.wfile.flush()

    def _halt_stream(self, execution_id: str) -> None:
        state = self.server_state
        self.current.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache, no-transform")
        if state.sse_chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        with state._cond:
            state._open_streams += 1
            close_early = state.close_streams_without_halt > 0
            if close_early:
                state.close_streams_without_halt -= 1
        try:
            self._write_frame(": subscribed execution=%s\n\n" % execution_id)
            if close_early:
                self._end_stream()
                return
            while True:
                with state._cond:
                    if state._stopping:
                        return
                    data = state._halts.get(execution_id)
                    if data is None:
                        state._cond.wait(0.05)
                        data = state._halts.get(execution_id)
                if data is not None:
                    self._write_frame("event: halt\ndata: %s\n\n" % data)
                    self._end_stream()
                    return
                # Probe the socket so a client that went away ends this handler.
                self.connection.settimeout(0.001)
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return
                except (socket.timeout, BlockingIOError):
                    pass
                finally:
                    self.connection.settimeout(None)
        except OSError:
            return
        finally:
            self.close_connection = True
            with state._cond:
                state._open_streams -= 1

    def _end_stream(self) -> None:
        if self.server_state.sse_chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

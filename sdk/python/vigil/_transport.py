"""One keep-alive HTTP/1.1 connection to the Vigil server, used by the shipper thread only.

Not thread-safe: the shipper is its single user. Network failures surface as exceptions (OSError or
http.client.HTTPException); HTTP statuses are returned, never raised.
"""

import http.client
import socket
import ssl
from typing import Dict, NamedTuple, Optional
from urllib.parse import urlsplit

from ._version import SDK_LANGUAGE, __version__

SCHEMA_VERSION = "1"
USER_AGENT = "vigil-sdk-%s/%s" % (SDK_LANGUAGE, __version__)


class Response(NamedTuple):
    status: int
    retry_after: Optional[str]
    body: bytes


def base_headers(api_key: str) -> Dict[str, str]:
    """Headers every request carries (docs/protocol.md#what-mesedi-sdks-send), the SSE stream included."""
    return {
        "Authorization": "Bearer " + api_key,
        "X-Mesedi-Schema-Version": SCHEMA_VERSION,
        "User-Agent": USER_AGENT,
    }


class Endpoint(NamedTuple):
    scheme: str
    host: str
    port: int
    path_prefix: str

    @classmethod
    def parse(cls, base_url: str) -> "Endpoint":
        parts = urlsplit(base_url)
        default_port = 443 if parts.scheme == "https" else 80
        return cls(parts.scheme, parts.hostname or "", parts.port or default_port, parts.path.rstrip("/"))

    def host_header(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else "%s:%d" % (host, self.port)


class _NoDelayMixin:
    """http.client writes the head and the body with two send() calls; with Nagle's algorithm on,
    the second waits for the server's delayed ACK (~40 ms per request on a kept-alive connection)."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
        except (OSError, AttributeError):
            pass


class _HTTPConnection(_NoDelayMixin, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_NoDelayMixin, http.client.HTTPSConnection):
    pass


class HttpTransport:
    def __init__(self, base_url: str, api_key: str):
        self._endpoint = Endpoint.parse(base_url)
        self._headers = dict(base_headers(api_key))
        self._headers["Content-Type"] = "application/json"
        self._headers["Accept"] = "application/json"
        self._conn: Optional[http.client.HTTPConnection] = None
        self._ssl_context = ssl.create_default_context() if self._endpoint.scheme == "https" else None

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        e = self._endpoint
        if e.scheme == "https":
            return _HTTPSConnection(e.host, e.port, timeout=timeout, context=self._ssl_context)
        return _HTTPConnection(e.host, e.port, timeout=timeout)

    def request(self, method: str, path: str, body: Optional[bytes], timeout: float) -> Response:
        """Send one request; reuse the kept-alive connection, reconnecting once if the server closed it
        while idle (every Vigil ingestion request is idempotent, docs/api.md#ingestion)."""
        for attempt in (0, 1):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = self._connect(timeout)
            conn = self._conn
            try:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, self._endpoint.path_prefix + path, body=body, headers=self._headers)
                resp = conn.getresponse()
                data = resp.read()  # read fully so the connection can be reused
                if resp.will_close:
                    self.close()
                return Response(resp.status, resp.getheader("Retry-After"), data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 0:
                    continue  # a stale keep-alive connection: one fresh try before counting a failure
                raise
            except BaseException:
                self.close()
                raise
        raise ConnectionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

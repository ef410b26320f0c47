"""The background shipper: one bounded FIFO queue and one daemon thread that sends it to Vigil.

Why one FIFO: an execution's create, its events and its end PATCH are queued in that order by the
thread that runs the agent, and the shipper sends items strictly in queue order (consecutive events
merged into one ``POST /events``), so per-execution order (docs/api.md#ingestion) holds without bookkeeping.

The agent's side (``enqueue``) takes one uncontended lock and appends; it never blocks on I/O and never
raises. When the queue is full the oldest item is dropped, counted, and a single warning is logged.

The thread wakes every ``flush_interval`` (or at once when a full batch is waiting, or on flush),
sends what was queued, and retries failures in place, so nothing behind a failed request overtakes it:

* < 400: delivered.
* 429 / 503: retried after ``Retry-After`` (else backoff), without an attempt limit: the server is
  alive but busy, and the data waits in the bounded queue.
* network errors, 502, 504: retried with exponential backoff and jitter, without an attempt limit
  (the server is down or restarting; the queue bound is the limit).
* other 5xx: retried with backoff up to ``max_retries`` times, then dropped with a warning (a request
  that keeps failing with 500 would otherwise block every later one).
* other 4xx: dropped at once with a warning (retrying cannot help).
"""

import json
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from email.utils import parsedate_to_datetime
from typing import Any, Deque, Dict, List, Optional, Tuple
from urllib.parse import quote

from ._config import Config
from ._transport import HttpTransport

log = logging.getLogger("vigil")

CREATE, EVENT, END = 0, 1, 2
Item = Tuple[int, str, Dict[str, Any]]

# A request body stays under the server's default 5 MiB limit with room to spare.
MAX_BATCH_BYTES = 4 * 1024 * 1024
# One event payload must stay within the server's 256 KiB (docs/api.md#limits); the envelope is small.
MAX_EVENT_BYTES = 256 * 1024 - 1024

_DELIVERED, _DROPPED, _ABANDONED = "delivered", "dropped", "abandoned"
_UNLIMITED_RETRY_STATUSES = frozenset({429, 502, 503, 504})
# How often the same kind of failure is logged at warning level (first one always).
_LOG_EVERY_S = 60.0

_live_shippers: "weakref.WeakSet[Shipper]" = weakref.WeakSet()


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _shrink(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 3] + "..."
    if isinstance(value, dict):
        return {k: _shrink(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shrink(v, limit) for v in value]
    return value


def encode_event(event: Dict[str, Any]) -> bytes:
    """One event as JSON, its payload shrunk if it would exceed the server's per-event limit."""
    data = _dumps(event)
    if len(data) <= MAX_EVENT_BYTES:
        return data
    for limit in (4096, 256):
        smaller = dict(event, payload=_shrink(event.get("payload"), limit))
        data = _dumps(smaller)
        if len(data) <= MAX_EVENT_BYTES:
            return data
    return _dumps(dict(event, payload={"vigil_truncated": True}))


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class Shipper:
    def __init__(self, config: Config, transport: Optional[HttpTransport] = None):
        self._config = config
        self._transport = transport or HttpTransport(config.base_url, config.api_key)
        self._init_sync()
        _live_shippers.add(self)

    def _init_sync(self) -> None:
        self._queue: Deque[Item] = deque()
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._interrupt = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._inflight = 0
        self._flush_waiters = 0
        self._deadline: Optional[float] = None  # set when stopping: give up after this instant
        self._overflow_warned = False
        self._stop_waited = False
        self._failing_since: Optional[float] = None
        # Why the last failed request failed (None: the last request succeeded), for the
        # shutdown warning: a server that answered 429 is neither unreachable nor failing.
        self._last_failure: Optional[str] = None
        self._last_log: Dict[Any, float] = {}
        self.dropped = 0  # queue overflow (oldest dropped)
        self.rejected = 0  # dropped after a 4xx or too many 5xx
        self.lost_at_shutdown = 0
        self.retries = 0
        self.requests_ok = 0

    # ---------------------------------------------------------------- agent side (never raises)

    def enqueue(self, item: Item) -> None:
        warn = False
        with self._lock:
            queue = self._queue
            if len(queue) >= self._config.max_queue_size:
                queue.popleft()
                self.dropped += 1
                if not self._overflow_warned:
                    self._overflow_warned = warn = True
            queue.append(item)
            size = len(queue)
            if self._thread is None:
                self._start_locked()
        if warn:
            log.warning(
                "vigil: telemetry queue full (%d items); dropping the oldest items. The Vigil server "
                "is slow or unreachable; vigil.stats()['dropped'] counts what was lost. "
                "(Logged once.)",
                self._config.max_queue_size,
            )
        if size >= self._config.batch_size and not self._wake.is_set():
            self._wake.set()

    def _start_locked(self) -> None:
        if self._deadline is not None:  # items arriving after stop() still get a bounded chance
            self._deadline = time.monotonic() + self._config.shutdown_timeout
        thread = threading.Thread(target=self._run, name="vigil-shipper", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down: nothing more can be sent
            return
        self._thread = thread

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is delivered or dropped by the rules above; False on
        timeout or if a shutdown deadline made the shipper give up on some of it."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            if not self._queue and self._inflight == 0:
                return True
            lost_before = self.lost_at_shutdown
            if self._thread is None:
                self._start_locked()
            self._flush_waiters += 1
        try:
            self._wake.set()
            with self._lock:
                while self._queue or self._inflight:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._thread is None:
                        return False
                    self._drained.wait(min(remaining, 0.5))
                return self.lost_at_shutdown == lost_before
        finally:
            with self._lock:
                self._flush_waiters -= 1

    def stop(self, timeout: Optional[float] = None, wait: bool = True) -> bool:
        """Deliver what is queued within ``timeout`` seconds, then let the thread end. True if
        everything was delivered. With ``wait=False`` this returns at once."""
        timeout = self._config.shutdown_timeout if timeout is None else timeout
        with self._lock:
            self._deadline = time.monotonic() + max(0.0, timeout)
            self._stop_waited = wait
            lost_before = self.lost_at_shutdown
        self._interrupt.set()
        self._wake.set()
        if not wait:
            return False
        delivered = self.flush(timeout)
        if not delivered:
            log.warning(
                "vigil: %d telemetry item(s) not delivered before the shutdown timeout (%.1fs); "
                "the Vigil server at %s %s",
                self.pending() + self.lost_at_shutdown - lost_before, timeout, self._config.base_url,
                self._last_failure or "did not answer in time")
        return delivered

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._inflight

    def stats(self) -> Dict[str, int]:
        with self._lock:
            return {
                "queued": len(self._queue) + self._inflight,
                "dropped": self.dropped,
                "rejected": self.rejected,
                "lost_at_shutdown": self.lost_at_shutdown,
                "retries": self.retries,
                "requests_ok": self.requests_ok,
            }

    def _reset_after_fork(self) -> None:
        # The parent's thread does not exist in the child, and the parent will send its own queue.
        self._init_sync()
        self._transport = HttpTransport(self._config.base_url, self._config.api_key)

    # ---------------------------------------------------------------- shipper thread

    def _run(self) -> None:
        report = False
        while True:
            if self._deadline is None:
                self._wake.wait(self._config.flush_interval)
                self._wake.clear()
            abandoned = False
            try:
                abandoned = self._drain()
            except Exception:  # a bug here must not kill the thread or reach the agent
                log.exception("vigil: unexpected error in the telemetry shipper")
            with self._lock:
                if not self._queue and self._inflight == 0:
                    self._drained.notify_all()
                deadline = self._deadline
                if deadline is not None and (
                    abandoned or not self._queue or time.monotonic() >= deadline
                ):
                    lost = len(self._queue)
                    self._queue.clear()
                    self.lost_at_shutdown += lost
                    self._thread = None
                    self._drained.notify_all()
                    report = self.lost_at_shutdown and not self._stop_waited
                    break
        self._transport.close()
        if report:
            log.warning(
                "vigil: %d telemetry item(s) not delivered before the shutdown timeout",
                self.lost_at_shutdown)

    def _drain(self) -> bool:
        """Send what is due; True if a shutdown deadline made it give up."""
        config = self._config
        with self._lock:
            due = len(self._queue)  # what was queued when this tick started
        handled = 0
        while True:
            with self._lock:
                queue = self._queue
                if not queue:
                    return False
                force = self._flush_waiters > 0 or self._deadline is not None
                if handled >= due and not force and len(queue) < config.batch_size:
                    return False  # later arrivals wait for the next tick so they batch up
                if queue[0][0] == EVENT:
                    batch = []
                    while queue and queue[0][0] == EVENT and len(batch) < config.batch_size:
                        batch.append(queue.popleft())
                else:
                    batch = [queue.popleft()]
                self._inflight = len(batch)
            outcome = _DROPPED
            try:
                outcome = self._send(batch)
            finally:
                with self._lock:
                    self._inflight = 0
                    handled += len(batch)
                    if outcome == _ABANDONED:
                        self.lost_at_shutdown += len(batch)
                    if not self._queue:
                        self._drained.notify_all()
            if outcome == _ABANDONED:
                return True

    def _send(self, batch: List[Item]) -> str:
        kind, execution_id, body = batch[0]
        if kind == CREATE:
            return self._deliver("POST", "/executions", _dumps(body), 1)
        if kind == END:
            path = "/executions/" + quote(execution_id, safe="")
            return self._deliver("PATCH", path, _dumps(body), 1)
        outcome = _DELIVERED
        chunk: List[bytes] = []
        size = 2
        for _, _, event in batch:
            data = encode_event(event)
            if chunk and size + len(data) + 1 > MAX_BATCH_BYTES:
                outcome = self._deliver("POST", "/events", b"[" + b",".join(chunk) + b"]", len(chunk))
                if outcome == _ABANDONED:
                    return outcome
                chunk, size = [], 2
            chunk.append(data)
            size += len(data) + 1
        if chunk:
            outcome = self._deliver("POST", "/events", b"[" + b",".join(chunk) + b"]", len(chunk))
        return outcome

    def _deliver(self, method: str, path: str, body: bytes, items: int) -> str:
        config = self._config
        attempt = 0
        while True:
            timeout = config.request_timeout
            deadline = self._deadline
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return _ABANDONED
                timeout = min(timeout, remaining)
            status: Optional[int] = None
            retry_after: Optional[float] = None
            resp = None
            try:
                resp = self._transport.request(method, path, body, timeout)
                status = resp.status
                problem = "HTTP %d %s" % (status, _error_text(resp.body))
                if status == 429:
                    problem = "rate limited (429): " + _error_text(resp.body)
            except Exception as exc:
                problem = "%s: %s" % (type(exc).__name__, exc)
            self._last_failure = _failure_cause(status)
            if status is not None and status < 400:
                self.requests_ok += 1
                if self._failing_since is not None:
                    log.info(
                        "vigil: server reachable again after %.1fs", time.monotonic() - self._failing_since
                    )
                    self._failing_since = None
                return _DELIVERED
            if status is not None and status < 500 and status != 429:
                self.rejected += items
                self._log_throttled(
                    ("reject", status),
                    "vigil: server refused %s %s (%s); dropped %d item(s), not retried",
                    method, path, problem, items,
                )
                return _DROPPED
            attempt += 1
            if status is not None and status not in _UNLIMITED_RETRY_STATUSES and attempt > config.max_retries:
                self.rejected += items
                self._log_throttled(
                    ("give-up", status),
                    "vigil: %s %s still failing after %d attempts (%s); dropped %d item(s)",
                    method, path, attempt, problem, items,
                )
                return _DROPPED
            if status in (429, 503) and resp is not None:
                retry_after = parse_retry_after(resp.retry_after)
            if retry_after is not None:
                delay = min(retry_after, config.max_retry_after)
            else:
                delay = self._backoff(attempt)
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            self._log_throttled(
                ("retry", status), "vigil: %s %s failed (%s); retrying (queued data is kept)",
                method, path, problem,
            )
            self.retries += 1
            if not self._sleep(delay):
                return _ABANDONED

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        config = self._config
        ceiling = min(config.retry_max_delay, config.retry_base_delay * (2 ** min(attempt - 1, 30)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _sleep(self, delay: float) -> bool:
        """Sleep ``delay`` seconds; False if a shutdown deadline falls before the wake-up time."""
        wake_at = time.monotonic() + delay
        while True:
            deadline = self._deadline
            if deadline is not None and wake_at > deadline:
                return False
            remaining = wake_at - time.monotonic()
            if remaining <= 0:
                return True
            if self._interrupt.wait(remaining) and self._deadline is not None:
                time.sleep(max(0.0, wake_at - time.monotonic()))
                return True

    def _log_throttled(self, key: Any, message: str, *args: Any) -> None:
        now = time.monotonic()
        last = self._last_log.get(key)
        if last is None or now - last >= _LOG_EVERY_S:
            self._last_log[key] = now
            log.warning(message, *args)


def _failure_cause(status: Optional[int]) -> Optional[str]:
    """How the shutdown warning names the last request's failure; None when it succeeded."""
    if status is None:
        return "is unreachable"
    if status == 429:
        return "answered rate limited (429); raise the project's rate limit or send less"
    if status >= 500:
        return "is failing (HTTP %d)" % status
    if status >= 400:
        return "refused the requests (HTTP %d)" % status
    return None


def _error_text(body: bytes) -> str:
    try:
        doc = json.loads(body.decode("utf-8", "replace"))
        if isinstance(doc, dict) and isinstance(doc.get("error"), str):
            return doc["error"][:200]
    except ValueError:
        pass
    return body[:200].decode("utf-8", "replace")


def _after_fork_in_child() -> None:
    for shipper in list(_live_shippers):
        shipper._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

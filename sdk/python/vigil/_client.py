"""The process-wide client: configuration plus the shipper, created by ``configure`` or lazily from
the environment on first use, and flushed at interpreter exit."""

import atexit
import logging
import threading
import time
from typing import Any, Dict, Optional, Tuple

from . import _shipper
from ._config import Config, VigilConfigError, resolve
from ._shipper import Shipper
from ._util import new_id, utc_timestamp
from ._version import SDK_LANGUAGE, __version__
from ._wire import Event, Status

log = logging.getLogger("vigil")


class Client:
    __slots__ = ("config", "shipper", "enqueue")

    def __init__(self, config: Config):
        self.config = config
        self.shipper: Optional[Shipper] = Shipper(config) if config.enabled else None
        # Bound once so the agent's hot path does one call, not an attribute chain and a branch.
        self.enqueue = self.shipper.enqueue if self.shipper is not None else _discard


def _discard(item: Tuple[int, str, Dict[str, Any]]) -> None:
    pass


class MesediClient(Client):
    """An explicit client, under the Mesedi SDK's name: its own configuration (the arguments of
    :func:`configure`) and its own shipper, independent of the process client that ``wrap``,
    ``tool`` and the adapters record through."""

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, *,
                 allow_insecure_http: Optional[bool] = None, **options: Any):
        super().__init__(resolve(api_key, base_url, allow_insecure_http, **options))

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Block until this client's queue is delivered, at most ``timeout`` seconds."""
        if self.shipper is None:
            return True
        return self.shipper.flush(self.config.shutdown_timeout if timeout is None else timeout)

    def create_execution(self, execution_id: Optional[str] = None, **fields: Any) -> str:
        """Queue the start of an execution (``POST /executions``) with the execution fields of
        docs/protocol.md given as keywords; return its id (a fresh ``exec-…`` one by default).
        ``status``, ``started_at``, ``sdk_language`` and ``sdk_version`` are filled in when absent."""
        body: Dict[str, Any] = {"execution_id": execution_id or new_id("exec-"),
                                "status": Status.STARTED.value, "started_at": utc_timestamp(),
                                "sdk_language": SDK_LANGUAGE, "sdk_version": __version__}
        body.update(_wire_fields(fields))
        self.enqueue((_shipper.CREATE, body["execution_id"], body))
        return body["execution_id"]

    def update_execution(self, execution_id: str, **fields: Any) -> None:
        """Queue an update of an execution (``PATCH /executions/{id}``), e.g. its terminal
        ``status``; a terminal status without ``ended_at`` gets the current time."""
        body = _wire_fields(fields)
        body.pop("execution_id", None)  # the path names the execution
        if body.get("status", Status.STARTED.value) != Status.STARTED.value:
            body.setdefault("ended_at", utc_timestamp())
        self.enqueue((_shipper.END, execution_id, body))

    def send_events(self, *events: "Event") -> None:
        """Queue :class:`Event` objects (``POST /events``, batched) for this client's server. Never
        raises; an execution an event names but nobody created is created by the server."""
        for event in events:
            body = event.to_dict()
            self.enqueue((_shipper.EVENT, body["execution_id"], body))

    def stats(self) -> Dict[str, int]:
        """This client's shipper counters (see :func:`stats`)."""
        return self.shipper.stats() if self.shipper is not None else {}

    def shutdown(self, timeout: Optional[float] = None) -> bool:
        """Deliver what is queued (bounded by ``timeout``) and stop this client's shipper."""
        if self.shipper is None:
            return True
        return self.shipper.stop(self.config.shutdown_timeout if timeout is None else timeout)


def _wire_fields(fields: Dict[str, Any]) -> Dict[str, Any]:
    # Enum members travel as their values; None means "not given", as in every ingestion body.
    return {k: (v.value if isinstance(v, Status) else v) for k, v in fields.items() if v is not None}


_client: Optional[Client] = None
_lock = threading.Lock()


def configure(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    *,
    allow_insecure_http: Optional[bool] = None,
    **options: Any,
) -> Config:
    """Configure the SDK for this process and return the effective :class:`Config`.

    ``api_key`` falls back to VIGIL_API_KEY, then MESEDI_API_KEY, then the local dev key;
    ``base_url`` to VIGIL_BASE_URL, then MESEDI_BASE_URL, then ``http://localhost:8080``.
    Keyword options (all optional): ``enabled``, ``remote_halt``, ``max_queue_size``, ``batch_size``,
    ``flush_interval``, ``request_timeout``, ``shutdown_timeout``, ``max_retries``,
    ``retry_base_delay``, ``retry_max_delay``, ``max_retry_after``, and the build identity sent on
    every execution, ``code_version`` (e.g. a git commit; else VIGIL_CODE_VERSION) and
    ``container_digest`` (``sha256:…``; else VIGIL_CONTAINER_DIGEST).

    Raises :class:`VigilConfigError` for an unusable configuration (for instance plain ``http://``
    to a remote host without ``allow_insecure_http=True``) and TypeError for an unknown option.
    Calling it again replaces the client; data already queued is still delivered by the old one.
    """
    global _client
    config = resolve(api_key, base_url, allow_insecure_http, **options)
    new = Client(config)
    with _lock:
        old, _client = _client, new
    if old is not None and old.shipper is not None:
        old.shipper.stop(wait=False)
    return config


def get_client() -> Client:
    client = _client
    if client is not None:
        return client
    return _configure_from_environment()


def _configure_from_environment() -> Client:
    global _client
    with _lock:
        if _client is None:
            try:
                config = resolve()
            except VigilConfigError as exc:
                # Implicit configuration must not crash the agent: report and run without shipping.
                log.error("vigil: telemetry disabled, configuration from the environment is invalid: %s", exc)
                config = Config(api_key="", base_url="", enabled=False)
            _client = Client(config)
        return _client


def flush(timeout: Optional[float] = None) -> bool:
    """Block until everything queued so far is delivered (or dropped by the rules of the shipper), at
    most ``timeout`` seconds (default: the configured ``shutdown_timeout``). Returns True when the queue
    is empty. Never raises."""
    try:
        client = _client
        if client is None or client.shipper is None:
            return True
        wait = client.config.shutdown_timeout if timeout is None else timeout
        return client.shipper.flush(wait)
    except Exception:
        log.exception("vigil: flush failed")
        return False


def stats() -> Dict[str, int]:
    """Counters of the current client's shipper: ``queued``, ``dropped`` (queue overflow),
    ``rejected`` (4xx or exhausted retries), ``lost_at_shutdown``, ``retries``, ``requests_ok``."""
    client = _client
    if client is None or client.shipper is None:
        return {"queued": 0, "dropped": 0, "rejected": 0, "lost_at_shutdown": 0, "retries": 0,
                "requests_ok": 0}
    return client.shipper.stats()


def shutdown(timeout: Optional[float] = None) -> bool:
    """Deliver what is queued (bounded by ``timeout``, default ``shutdown_timeout``) and stop every
    shipper. Runs automatically at interpreter exit. Returns True if nothing was left undelivered."""
    client = _client
    default = client.config.shutdown_timeout if client is not None else 5.0
    deadline = time.monotonic() + (default if timeout is None else timeout)
    delivered = True
    for shipper in list(_shipper._live_shippers):
        try:
            delivered &= shipper.stop(max(0.0, deadline - time.monotonic()))
        except Exception:
            log.exception("vigil: shutdown failed")
            delivered = False
    return delivered


atexit.register(shutdown)

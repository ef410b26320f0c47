"""Configuration: explicit arguments, else the environment (docs/protocol.md#what-vigils-sdks-send), validated once."""

import os
import re
from dataclasses import dataclass, replace
from typing import Optional
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "http://localhost:8080"
# The key a Vigil server started with VIGIL_DEV=1 accepts by default (docs/operations.md#dev-bootstrap): works out of the box
# against a local dev server and nowhere else.
DEFAULT_API_KEY = "vigil_sk_dev_local_only"

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_TRUE = frozenset({"1", "true", "yes", "on"})


class VigilConfigError(ValueError):
    """Raised by :func:`vigil.configure` for a configuration that cannot work (bad URL, plain http://
    to a remote host, out-of-range numbers)."""


@dataclass(frozen=True)
class Config:
    api_key: str
    base_url: str
    enabled: bool = True
    remote_halt: bool = False
    allow_insecure_http: bool = False
    max_queue_size: int = 10_000
    batch_size: int = 100
    flush_interval: float = 0.25
    request_timeout: float = 10.0
    shutdown_timeout: float = 5.0
    max_retries: int = 8
    retry_base_delay: float = 0.1
    retry_max_delay: float = 30.0
    max_retry_after: float = 120.0
    # The agent's build identity, sent on every execution (docs/protocol.md#build-identity).
    code_version: Optional[str] = None
    container_digest: Optional[str] = None


# The server refuses other values with 400, which would drop every execution: refuse them here.
_CODE_VERSION = re.compile(r"[A-Za-z0-9._+:/@-]{1,128}\Z")
_CONTAINER_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+\Z")


def _env(*names: str) -> Optional[str]:
    for name in names:
        value = os.environ.get(name)
        if value:  # empty = unset, as on the server (docs/operations.md#settings)
            return value
    return None


def resolve(
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    allow_insecure_http: Optional[bool] = None,
    **options,
) -> Config:
    """Build a :class:`Config` from arguments, falling back to VIGIL_* then MESEDI_* variables.

    Raises VigilConfigError when the result cannot be used.
    """
    key = api_key or _env("VIGIL_API_KEY", "MESEDI_API_KEY") or DEFAULT_API_KEY
    url = (base_url or _env("VIGIL_BASE_URL", "MESEDI_BASE_URL") or DEFAULT_BASE_URL).strip()
    if allow_insecure_http is None:
        allow_insecure_http = (os.environ.get("VIGIL_ALLOW_INSECURE_HTTP") or "").lower() in _TRUE
    url = url.rstrip("/")
    check_base_url(url, allow_insecure_http)
    if any(c in key for c in "\r\n") or not key.strip():
        raise VigilConfigError("api_key must be a non-empty single-line string")
    config = Config(
        api_key=key.strip(), base_url=url, allow_insecure_http=bool(allow_insecure_http), **options
    )
    config = replace(
        config,
        code_version=config.code_version or _env("VIGIL_CODE_VERSION"),
        container_digest=config.container_digest or _env("VIGIL_CONTAINER_DIGEST"),
    )
    _check_ranges(config)
    _check_identity(config)
    return config


def check_base_url(url: str, allow_insecure_http: bool) -> None:
    """Refuse anything but http(s) URLs with a host, and plain http:// to a non-local host unless
    explicitly allowed: an API key must not cross a network in clear text by accident."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise VigilConfigError("base_url %r is not a valid URL: %s" % (url, exc)) from None
    if parts.scheme not in ("http", "https") or not host:
        raise VigilConfigError("base_url must be an http:// or https:// URL with a host, got %r" % url)
    if parts.query or parts.fragment:
        raise VigilConfigError("base_url must not carry a query or fragment, got %r" % url)
    if parts.scheme == "http" and host.lower() not in LOCAL_HOSTS and not allow_insecure_http:
        raise VigilConfigError(
            "refusing plain http:// to %s: the API key would travel unencrypted. Use https://, or "
            "pass allow_insecure_http=True (or set VIGIL_ALLOW_INSECURE_HTTP=1) if you accept that."
            % host
        )


def _check_ranges(config: Config) -> None:
    if config.max_queue_size < 1:
        raise VigilConfigError("max_queue_size must be >= 1")
    if not 1 <= config.batch_size <= 1000:
        raise VigilConfigError("batch_size must be within 1..1000 (the server's batch limit)")
    for name in ("flush_interval", "request_timeout", "retry_base_delay", "retry_max_delay"):
        if not getattr(config, name) > 0:
            raise VigilConfigError("%s must be > 0" % name)
    if config.shutdown_timeout < 0 or config.max_retries < 0 or config.max_retry_after < 0:
        raise VigilConfigError("shutdown_timeout, max_retries and max_retry_after must be >= 0")


def _check_identity(config: Config) -> None:
    if config.code_version is not None and not _CODE_VERSION.match(config.code_version):
        raise VigilConfigError(
            "code_version must be 1-128 letters, digits or . _ + : / @ -, got %r" % config.code_version)
    digest = config.container_digest
    if digest is not None and (len(digest) > 200 or not _CONTAINER_DIGEST.match(digest)):
        raise VigilConfigError(
            "container_digest must look like sha256:<hex> (at most 200 bytes), got %r" % digest)

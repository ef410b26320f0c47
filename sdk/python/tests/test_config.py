import logging

import pytest

import vigil
from vigil import VigilConfigError
from vigil._client import get_client


@pytest.mark.parametrize("url", [
    "http://vigil.example.com",
    "http://10.0.0.5:8080",
    "http://localhost.example.com",
])
def test_plain_http_to_a_remote_host_is_refused(url):
    with pytest.raises(VigilConfigError, match="refusing plain http"):
        vigil.configure(api_key="k", base_url=url)


@pytest.mark.parametrize("url", [
    "http://localhost:8080", "http://127.0.0.1:9", "http://[::1]:8080", "https://vigil.example.com",
    "https://vigil.example.com/prefix/",
])
def test_https_and_loopback_http_are_accepted(url):
    config = vigil.configure(api_key="k", base_url=url, enabled=False)
    assert config.base_url == url.rstrip("/")


def test_plain_http_is_allowed_when_explicitly_accepted(monkeypatch):
    assert vigil.configure(api_key="k", base_url="http://vigil.internal", allow_insecure_http=True,
                           enabled=False).allow_insecure_http
    monkeypatch.setenv("VIGIL_ALLOW_INSECURE_HTTP", "1")
    assert vigil.configure(api_key="k", base_url="http://vigil.internal", enabled=False).allow_insecure_http


@pytest.mark.parametrize("url", ["ftp://host", "vigil.example.com", "https://", "https://h?x=1"])
def test_malformed_base_urls_are_refused(url):
    with pytest.raises(VigilConfigError):
        vigil.configure(api_key="k", base_url=url)


def test_environment_fallback_prefers_vigil_then_mesedi_variables(monkeypatch):
    monkeypatch.setenv("MESEDI_API_KEY", "mesedi_sk_x")
    monkeypatch.setenv("MESEDI_BASE_URL", "https://mesedi.example.com")
    config = vigil.configure(enabled=False)
    assert (config.api_key, config.base_url) == ("mesedi_sk_x", "https://mesedi.example.com")
    monkeypatch.setenv("VIGIL_API_KEY", "vigil_sk_y")
    monkeypatch.setenv("VIGIL_BASE_URL", "https://vigil.example.com")
    config = vigil.configure(enabled=False)
    assert (config.api_key, config.base_url) == ("vigil_sk_y", "https://vigil.example.com")
    config = vigil.configure(api_key="arg", base_url="https://arg.example.com", enabled=False)
    assert (config.api_key, config.base_url) == ("arg", "https://arg.example.com")


def test_defaults_target_a_local_dev_server():
    config = vigil.configure(enabled=False)
    assert config.base_url == "http://localhost:8080"
    assert config.api_key == "vigil_sk_dev_local_only"
    assert config.max_queue_size == 10_000
    assert config.batch_size == 100
    assert config.flush_interval == 0.25


def test_invalid_environment_disables_shipping_instead_of_raising(monkeypatch, caplog):
    monkeypatch.setenv("VIGIL_BASE_URL", "http://vigil.example.com")
    with caplog.at_level(logging.ERROR, logger="vigil"):
        @vigil.wrap
        def agent():
            return "still runs"

        assert agent() == "still runs"
    assert get_client().shipper is None
    assert any("telemetry disabled" in r.getMessage() for r in caplog.records)


def test_unknown_options_and_bad_ranges_are_refused():
    with pytest.raises(TypeError):
        vigil.configure(api_key="k", bogus=1)
    with pytest.raises(VigilConfigError):
        vigil.configure(api_key="k", batch_size=5000)
    with pytest.raises(VigilConfigError):
        vigil.configure(api_key="bad\nkey")

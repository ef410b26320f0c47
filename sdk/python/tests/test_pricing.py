import pytest

from vigil._pricing import estimate_cost_usd, price_key


@pytest.mark.parametrize("model, key", [
    ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
    ("GPT-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("gpt-4-0613", "gpt-4"),
    ("o1-preview", "o1"),
    ("o1-mini-2024", "o1-mini"),
    ("claude-sonnet-4-5", "claude-sonnet-4"),
    ("llama-3", None),
    ("", None),
])
def test_price_key_matches_the_spec_vectors(model, key):
    assert price_key(model) == key


def test_cost_matches_the_spec_vectors():
    assert estimate_cost_usd("claude-opus-4-6", 1200, 800) == pytest.approx(0.078)
    assert estimate_cost_usd("gpt-4o-mini", 10000, 2000) == pytest.approx(0.0027)
    assert estimate_cost_usd("llama-3", 10**6, 10**6) == 0.0

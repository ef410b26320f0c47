import pytest

from vigil._pricing import EXACT_ONLY, estimate_cost_usd, price_key


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


@pytest.mark.parametrize("model, key", [
    ("gemini-2.5-flash-001", "gemini-2.5-flash"),
    ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
    ("gemini-2.5-pro-001", "gemini-2.5-pro"),
    ("gemini-2.0-flash", "gemini-2.0-flash"),
    ("command-a-03-2025", "command-a-03-2025"),
    ("command-r7b", "command-r7b"),
    ("gpt-4.1-2025-04-14", "gpt-4.1"),
    ("gpt-5-2025-08-07", "gpt-5-"),
    ("gpt-5-codex", "gpt-5-"),
    ("gpt-5", "gpt-5"),
    ("GPT-5", "gpt-5"),
    ("gpt-5-mini", "gpt-5-mini"),
    ("gpt-5-nano-2025-08-07", "gpt-5-nano"),
    ("gpt-5-pro", "gpt-5-pro"),
    ("gpt-5.1", None),
    ("gpt-5.4", None),
    ("gpt-5.4-mini", None),
    ("o4-mini-2025-04-16", "o4-mini"),
])
def test_price_key_of_the_other_providers_and_current_models(model, key):
    assert price_key(model) == key


def test_cached_input_is_priced_at_the_models_own_rate_and_reasoning_as_output():
    # gemini-2.5-flash (0.30 / 2.50), cache reads at a tenth; the thinking is output.
    assert estimate_cost_usd("gemini-2.5-flash-001", 10**6, 10**6, 400_000, 300_000) == \
        pytest.approx(0.6 * 0.30 + 0.4 * 0.03 + 2.50)
    # Cohere publishes no cache price: cached input bills as input.
    assert estimate_cost_usd("command-a-03-2025", 10**6, 0, 500_000) == pytest.approx(2.50)
    # OpenAI: a half for gpt-4o, a quarter for gpt-4.1 and o4-mini.
    assert estimate_cost_usd("gpt-4o", 10**6, 0, 10**6) == pytest.approx(1.25)
    assert estimate_cost_usd("gpt-4.1", 10**6, 0, 10**6) == pytest.approx(0.50)
    assert estimate_cost_usd("o4-mini", 10**6, 10**6, 10**6, 10**6) == pytest.approx(0.275 + 4.40)


def test_a_bare_gpt5_call_is_priced_and_a_gpt5_x_call_is_not():
    # The exact-only "gpt-5" row prices the bare name at GPT-5's price, cache reads at a tenth; as a
    # prefix it would also price the gpt-5.x models, which OpenAI prices differently.
    assert estimate_cost_usd("gpt-5", 10**6, 10**6, 800_000, 600_000) == \
        pytest.approx(0.2 * 1.25 + 0.8 * 0.125 + 10)
    assert estimate_cost_usd("gpt-5", 12345, 678) == (12345 / 1e6) * 1.25 + (678 / 1e6) * 10
    assert estimate_cost_usd("gpt-5.1", 10**6, 10**6) == 0.0
    assert estimate_cost_usd("gpt-5.4", 10**6, 10**6) == 0.0
    assert EXACT_ONLY == {"gpt-5"}

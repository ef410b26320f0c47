"""The price table of docs/detection.md#cost-velocity, used for the local cost budget and ``estimated_cost_usd``.

Prices are USD per million tokens (input, output). A model is looked up lower-cased: the exact key,
else the longest key that is a prefix of it, leaving out the exact-only keys (``EXACT_ONLY``); an
unknown model costs 0 (so a cost budget never halts on a model we cannot price).
"""

from typing import Dict, FrozenSet, Optional, Tuple

# Key: (input, output, cached-input factor), the server's table (detectors/cost.cc). The factor is
# the price of input read from the prompt cache as a fraction of the input price, set per model by
# its provider (1 where the provider publishes no cache price); reasoning tokens bill as output
# (docs/protocol.md#cached-and-reasoning-tokens).
_TABLE: Dict[str, Tuple[float, float, float]] = {
    "claude-opus-4-6": (15.0, 75.0, 0.10),
    "claude-sonnet-4-6": (3.0, 15.0, 0.10),
    "claude-haiku-4-5": (1.0, 5.0, 0.10),
    "claude-opus-4-1": (15.0, 75.0, 0.10),
    "claude-sonnet-4": (3.0, 15.0, 0.10),
    "claude-3-5-sonnet": (3.0, 15.0, 0.10),
    "claude-3-5-haiku": (1.0, 5.0, 0.10),
    "claude-3-opus": (15.0, 75.0, 0.10),
    "gpt-4o": (2.50, 10.0, 0.50),
    "gpt-4o-mini": (0.15, 0.60, 0.50),
    "gpt-4-turbo": (10.0, 30.0, 1.0),
    "gpt-4": (30.0, 60.0, 1.0),
    "gpt-3.5-turbo": (0.50, 1.50, 1.0),
    "o1": (15.0, 60.0, 0.50),
    "o1-mini": (3.0, 12.0, 0.50),
    "claude-opus-4-7": (5.0, 25.0, 0.10),
    "claude-opus-4-5": (5.0, 25.0, 0.10),
    "claude-opus-4-0": (15.0, 75.0, 0.10),
    "claude-opus-4-20250514": (15.0, 75.0, 0.10),
    "claude-3-7-sonnet": (3.0, 15.0, 0.10),
    "claude-3-haiku": (0.25, 1.25, 0.12),
    "gpt-4.1": (2.0, 8.0, 0.25),
    "gpt-4.1-mini": (0.40, 1.60, 0.25),
    "gpt-4.1-nano": (0.10, 0.40, 0.25),
    "gpt-5-": (1.25, 10.0, 0.10),
    "gpt-5": (1.25, 10.0, 0.10),
    "gpt-5-mini": (0.25, 2.0, 0.10),
    "gpt-5-nano": (0.05, 0.40, 0.10),
    "gpt-5-pro": (15.0, 120.0, 1.0),
    "o3": (2.0, 8.0, 0.25),
    "o3-mini": (1.10, 4.40, 0.50),
    "o3-pro": (20.0, 80.0, 1.0),
    "o4-mini": (1.10, 4.40, 0.25),
    "gemini-2.5-pro": (1.25, 10.0, 0.10),
    "gemini-2.5-flash": (0.30, 2.50, 0.10),
    "gemini-2.5-flash-lite": (0.10, 0.40, 0.10),
    "gemini-2.0-flash": (0.10, 0.40, 0.25),
    "command-a-03-2025": (2.50, 10.0, 1.0),
    "command-a-reasoning": (2.50, 10.0, 1.0),
    "command-r-plus-08-2024": (2.50, 10.0, 1.0),
    "command-r-08-2024": (0.15, 0.60, 1.0),
    "command-r7b": (0.0375, 0.15, 1.0),
}

PRICES_PER_MILLION: Dict[str, Tuple[float, float]] = {
    key: (price_in, price_out) for key, (price_in, price_out, _) in _TABLE.items()}
CACHED_INPUT_FACTOR: Dict[str, float] = {key: row[2] for key, row in _TABLE.items()}

# Keys that price only the model they name exactly, never one they are a prefix of: "gpt-5" would
# otherwise also price every gpt-5.x model, which OpenAI prices differently.
EXACT_ONLY: FrozenSet[str] = frozenset({"gpt-5"})

# Longest first, so the first prefix that matches is the longest one.
_KEYS_LONGEST_FIRST = sorted(set(PRICES_PER_MILLION) - EXACT_ONLY, key=len, reverse=True)


def price_key(model: Optional[str]) -> Optional[str]:
    """The table key that prices ``model``, or None."""
    if not model:
        return None
    name = model.lower()
    if name in PRICES_PER_MILLION:
        return name
    for key in _KEYS_LONGEST_FIRST:
        if name.startswith(key):
            return key
    return None


def estimate_cost_usd(model: Optional[str], input_tokens: int, output_tokens: int,
                      cached_input_tokens: int = 0, reasoning_tokens: int = 0) -> float:
    """Cost of one call: (in / 1e6) × in-price + (out / 1e6) × out-price, with the cached part of the
    input at the model's cache rate and the reasoning part of the output as output; 0 for an unknown
    model."""
    key = price_key(model)
    if key is None:
        return 0.0
    price_in, price_out = PRICES_PER_MILLION[key]
    cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
    reasoning = min(max(reasoning_tokens, 0), max(output_tokens, 0))
    cost = ((input_tokens - cached) / 1e6) * price_in + ((output_tokens - reasoning) / 1e6) * price_out
    if cached:
        cost += (cached / 1e6) * (price_in * CACHED_INPUT_FACTOR[key])  # as the server groups it
    if reasoning:
        cost += (reasoning / 1e6) * price_out
    return cost

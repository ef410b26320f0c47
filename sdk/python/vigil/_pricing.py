"""The price table of docs/detection.md#cost-velocity, used for the local cost budget and ``estimated_cost_usd``.

Prices are USD per million tokens (input, output). A model is looked up lower-cased: the exact key,
else the longest key that is a prefix of it; an unknown model costs 0 (so a cost budget never halts
on a model we cannot price).
"""

from typing import Dict, Optional, Tuple

# How each provider bills the parts of a call (docs/protocol.md#cached-and-reasoning-tokens), as
# fractions of the model's prices: input read from the prompt cache (Anthropic a tenth, OpenAI
# half) and output spent on hidden reasoning (billed as output by both). The server's table.
PROVIDER_RATES: Dict[str, Tuple[float, float]] = {
    "claude": (0.10, 1.0),  # Anthropic: cached input, reasoning
    "gpt": (0.50, 1.0),  # OpenAI
    "o1": (0.50, 1.0),  # OpenAI
}

PRICES_PER_MILLION: Dict[str, Tuple[float, float]] = {
    "claude-opus-4-6": (15.0, 75.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (1.0, 5.0),
    "claude-3-opus": (15.0, 75.0),
    "gpt-4o": (2.50, 10.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4-turbo": (10.0, 30.0),
    "gpt-4": (30.0, 60.0),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1": (15.0, 60.0),
    "o1-mini": (3.0, 12.0),
}

# Longest first, so the first prefix that matches is the longest one.
_KEYS_LONGEST_FIRST = sorted(PRICES_PER_MILLION, key=len, reverse=True)


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
    input and the reasoning part of the output at the provider's rates; 0 for an unknown model."""
    key = price_key(model)
    if key is None:
        return 0.0
    price_in, price_out = PRICES_PER_MILLION[key]
    cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
    reasoning = min(max(reasoning_tokens, 0), max(output_tokens, 0))
    cost = ((input_tokens - cached) / 1e6) * price_in + ((output_tokens - reasoning) / 1e6) * price_out
    cached_factor, reasoning_factor = PROVIDER_RATES[key.split("-")[0]]
    if cached:
        cost += (cached / 1e6) * price_in * cached_factor
    if reasoning:
        cost += (reasoning / 1e6) * price_out * reasoning_factor
    return cost

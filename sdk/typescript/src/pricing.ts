// USD per million tokens (input, output) and the cached-input factor: the price table of the protocol
// (docs/detection.md#price-table), the server's table, so the cost the SDK budgets against is the
// cost the server computes. The factor is the price of input read from the prompt cache as a
// fraction of the input price, set per model by its provider (1 where the provider publishes no
// cache price); reasoning tokens bill as output (docs/protocol.md#cached-and-reasoning-tokens).
// A row marked EXACT_ONLY prices only the model its key names exactly, never one its key is a
// prefix of.
const EXACT_ONLY = true;
const PRICES: ReadonlyArray<
  readonly [key: string, input: number, output: number, cachedFactor: number, exactOnly?: boolean]
> = [
  ["claude-opus-4-6", 15, 75, 0.1],
  ["claude-sonnet-4-6", 3, 15, 0.1],
  ["claude-haiku-4-5", 1, 5, 0.1],
  ["claude-opus-4-1", 15, 75, 0.1],
  ["claude-sonnet-4", 3, 15, 0.1],
  ["claude-3-5-sonnet", 3, 15, 0.1],
  ["claude-3-5-haiku", 1, 5, 0.1],
  ["claude-3-opus", 15, 75, 0.1],
  ["gpt-4o", 2.5, 10, 0.5],
  ["gpt-4o-mini", 0.15, 0.6, 0.5],
  ["gpt-4-turbo", 10, 30, 1],
  ["gpt-4", 30, 60, 1],
  ["gpt-3.5-turbo", 0.5, 1.5, 1],
  ["o1", 15, 60, 0.5],
  ["o1-mini", 3, 12, 0.5],
  ["claude-opus-4-7", 5, 25, 0.1],
  ["claude-opus-4-5", 5, 25, 0.1],
  ["claude-opus-4-0", 15, 75, 0.1],
  ["claude-opus-4-20250514", 15, 75, 0.1],
  ["claude-3-7-sonnet", 3, 15, 0.1],
  ["claude-3-haiku", 0.25, 1.25, 0.12],
  ["gpt-4.1", 2, 8, 0.25],
  ["gpt-4.1-mini", 0.4, 1.6, 0.25],
  ["gpt-4.1-nano", 0.1, 0.4, 0.25],
  ["gpt-5-", 1.25, 10, 0.1],
  // As a prefix "gpt-5" would also price every gpt-5.x model, which OpenAI prices differently.
  ["gpt-5", 1.25, 10, 0.1, EXACT_ONLY],
  ["gpt-5-mini", 0.25, 2, 0.1],
  ["gpt-5-nano", 0.05, 0.4, 0.1],
  ["gpt-5-pro", 15, 120, 1],
  ["o3", 2, 8, 0.25],
  ["o3-mini", 1.1, 4.4, 0.5],
  ["o3-pro", 20, 80, 1],
  ["o4-mini", 1.1, 4.4, 0.25],
  ["gemini-2.5-pro", 1.25, 10, 0.1],
  ["gemini-2.5-flash", 0.3, 2.5, 0.1],
  ["gemini-2.5-flash-lite", 0.1, 0.4, 0.1],
  ["gemini-2.0-flash", 0.1, 0.4, 0.25],
  ["command-a-03-2025", 2.5, 10, 1],
  ["command-a-reasoning", 2.5, 10, 1],
  ["command-r-plus-08-2024", 2.5, 10, 1],
  ["command-r-08-2024", 0.15, 0.6, 1],
  ["command-r7b", 0.0375, 0.15, 1],
];

/**
 * Price per million tokens for a model: exact key, else the longest key that is a prefix of the
 * lower-cased model among the rows that are not exact-only; undefined when none matches.
 */
export function priceFor(
  model: string,
): { inPerMillion: number; outPerMillion: number; cachedFactor: number; reasoningFactor: number } | undefined {
  const m = model.toLowerCase();
  let best: (typeof PRICES)[number] | undefined;
  for (const row of PRICES) {
    if (m === row[0]) {
      best = row;
      break;
    }
    if (row[4] === EXACT_ONLY) continue;
    if (m.startsWith(row[0]) && (!best || row[0].length > best[0].length)) best = row;
  }
  if (!best) return undefined;
  return { inPerMillion: best[1], outPerMillion: best[2], cachedFactor: best[3], reasoningFactor: 1 };
}

/**
 * Estimated cost in USD of one call; 0 for an unknown model. `cachedInputTokens` and
 * `reasoningTokens` are parts of the input and output totals, priced at the model's cache rate and
 * as output.
 */
export function estimateCostUsd(
  model: string,
  inputTokens: number,
  outputTokens: number,
  cachedInputTokens = 0,
  reasoningTokens = 0,
): number {
  const p = priceFor(model);
  if (!p) return 0;
  const cached = Math.min(Math.max(cachedInputTokens, 0), Math.max(inputTokens, 0));
  const reasoning = Math.min(Math.max(reasoningTokens, 0), Math.max(outputTokens, 0));
  let cost = ((inputTokens - cached) / 1e6) * p.inPerMillion + ((outputTokens - reasoning) / 1e6) * p.outPerMillion;
  if (cached > 0) cost += (cached / 1e6) * (p.inPerMillion * p.cachedFactor); // as the server groups it
  if (reasoning > 0) cost += (reasoning / 1e6) * p.outPerMillion * p.reasoningFactor;
  return cost;
}

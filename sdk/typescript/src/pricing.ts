// USD per million tokens (input, output): the price table of the protocol (docs/detection.md#cost-velocity), so the cost
// the SDK budgets against is the cost the server computes.
const PRICES: ReadonlyArray<readonly [string, number, number]> = [
  ["claude-opus-4-6", 15, 75],
  ["claude-sonnet-4-6", 3, 15],
  ["claude-haiku-4-5", 1, 5],
  ["claude-opus-4-1", 15, 75],
  ["claude-sonnet-4", 3, 15],
  ["claude-3-5-sonnet", 3, 15],
  ["claude-3-5-haiku", 1, 5],
  ["claude-3-opus", 15, 75],
  ["gpt-4o", 2.5, 10],
  ["gpt-4o-mini", 0.15, 0.6],
  ["gpt-4-turbo", 10, 30],
  ["gpt-4", 30, 60],
  ["gpt-3.5-turbo", 0.5, 1.5],
  ["o1", 15, 60],
  ["o1-mini", 3, 12],
];

/**
 * Price per million tokens for a model: exact key, else the longest key that is a prefix of the
 * lower-cased model; undefined when none matches.
 */
export function priceFor(model: string): { inPerMillion: number; outPerMillion: number } | undefined {
  const m = model.toLowerCase();
  let best: readonly [string, number, number] | undefined;
  for (const row of PRICES) {
    if (m === row[0]) return { inPerMillion: row[1], outPerMillion: row[2] };
    if (m.startsWith(row[0]) && (!best || row[0].length > best[0].length)) best = row;
  }
  return best ? { inPerMillion: best[1], outPerMillion: best[2] } : undefined;
}

/** Estimated cost in USD of one call; 0 for an unknown model. */
export function estimateCostUsd(model: string, inputTokens: number, outputTokens: number): number {
  const p = priceFor(model);
  if (!p) return 0;
  return (inputTokens / 1e6) * p.inPerMillion + (outputTokens / 1e6) * p.outPerMillion;
}

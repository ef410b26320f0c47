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

// How each provider bills the parts of a call (docs/protocol.md#cached-and-reasoning-tokens), as
// fractions of the model's prices: input read from the prompt cache (Anthropic a tenth, OpenAI
// half) and output spent on hidden reasoning (billed as output by both). The server's table.
const PROVIDER_RATES: Readonly<Record<string, readonly [cachedInput: number, reasoning: number]>> = {
  claude: [0.1, 1], // Anthropic
  gpt: [0.5, 1], // OpenAI
  o1: [0.5, 1], // OpenAI
};

/**
 * Price per million tokens for a model: exact key, else the longest key that is a prefix of the
 * lower-cased model; undefined when none matches.
 */
export function priceFor(
  model: string,
): { inPerMillion: number; outPerMillion: number; cachedFactor: number; reasoningFactor: number } | undefined {
  const m = model.toLowerCase();
  let best: readonly [string, number, number] | undefined;
  for (const row of PRICES) {
    if (m === row[0]) {
      best = row;
      break;
    }
    if (m.startsWith(row[0]) && (!best || row[0].length > best[0].length)) best = row;
  }
  if (!best) return undefined;
  const [cachedFactor, reasoningFactor] = PROVIDER_RATES[best[0].split("-")[0] as string] ?? [1, 1];
  return { inPerMillion: best[1], outPerMillion: best[2], cachedFactor, reasoningFactor };
}

/**
 * Estimated cost in USD of one call; 0 for an unknown model. `cachedInputTokens` and
 * `reasoningTokens` are parts of the input and output totals, priced at the provider's rates.
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
  if (cached > 0) cost += (cached / 1e6) * p.inPerMillion * p.cachedFactor;
  if (reasoning > 0) cost += (reasoning / 1e6) * p.outPerMillion * p.reasoningFactor;
  return cost;
}

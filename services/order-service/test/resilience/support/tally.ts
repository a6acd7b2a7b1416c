// Counts of each distinct value, keys sorted: how the pooler suites print and compare outcomes.

export function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of [...values].sort()) out[v] = (out[v] ?? 0) + 1;
  return out;
}

// What the bench holds the service to (the performance issue's targets) and the ranges it asks the
// statistics for: random, seeded, half whole dates and half instants with times of day.

/** `n` query paths of /admin/orders/stats with ranges inside the last year (seeded: the same every run). */
export function rangeRequests(now, n) {
  let seed = 20261201;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const day = 86_400_000;
  return Array.from({ length: n }, (_, i) => {
    const a = now - Math.floor(random() * 365 * day);
    const b = now - Math.floor(random() * 365 * day);
    const [from, to] = [new Date(Math.min(a, b)), new Date(Math.max(a, b))];
    const text = (d) => (i % 2 ? d.toISOString() : d.toISOString().slice(0, 10));
    return `/admin/orders/stats?from=${encodeURIComponent(text(from))}&to=${encodeURIComponent(text(to))}`;
  });
}

const pct = (ratio) => `${(100 * ratio).toFixed(0)} %`;
const ratioAtLeast = (row, share, what) => ({ row, what: what ?? `${row}: ≥ ${pct(share)} of its ceiling`, check: (_, ratio) => ratio >= share, show: (_, ratio) => pct(ratio) });
const p99Below = (row, ms, what) => ({ row, what: what ?? `${row}: p99 < ${ms} ms`, check: (r) => r.p99 < ms && r.errors === 0, show: (r) => `${r.p99 === Infinity ? '—' : r.p99} ms${r.errors ? `, ${r.errors} errors` : ''}${r.timeouts ? `, ${r.timeouts} timeouts` : ''}` });
const posts = ['POST /orders (one product)', 'POST /orders (8 products in turn)', 'POST /orders through PgBouncer (one product)', 'POST /orders through PgBouncer (8 products in turn)'];

export function targets(rss) {
  const memory = (what, mb, limit) => ({ row: 'ceiling: bare Express hello', what: `${what} < ${limit} MB`, check: () => mb < limit, show: () => `${mb.toFixed(0)} MB` });
  return [
    ...posts.flatMap((row) => [ratioAtLeast(row, 0.3), p99Below(row, 50)]),
    ratioAtLeast('GET /orders?page=1&size=10', 0.4),
    ratioAtLeast('GET /orders/{id} (cache hit)', 0.6),
    p99Below('GET /admin/orders/stats?from&to 1M (64 random ranges, no cache), 1 connection', 20, 'statistics, any range at 1 M, 1 connection: p99 < 20 ms'),
    p99Below('GET /admin/orders/stats?from&to 1M (64 random ranges, no cache)', 50, `statistics, any range at 1 M, 32 connections: p99 < 50 ms`),
    memory('RSS of the service after the run', rss.service, 150),
    memory('RSS of the sidecar outside a cluster', rss.sidecar, 60),
    memory('RSS of the sidecar in a cluster', rss.kubeSidecar, 100),
  ];
}

// Rows of the bench: each measured once per round with autocannon, the table of all rounds side by
// side (the spread shows), each row's ratio to the ceiling measured in the same round, and targets.
import autocannon from 'autocannon';
import { cpuTicks } from './processes.mjs';

export const CONNECTIONS = 32;
export const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/**
 * One measured period after a 1 s warm-up. Requests still in flight when the period ends count as
 * timeouts, as autocannon's own do; they are the slowest, so when they are over 1 % of the requests
 * the p99 is not known (shown as —, which never meets a target).
 */
export async function load(opts, connections = CONNECTIONS, pid = undefined) {
  await autocannon({ ...opts, connections, duration: 1 });
  const before = pid ? cpuTicks(pid) : 0;
  const r = await autocannon({ ...opts, connections, duration: DURATION });
  const unfinished = Math.max(0, r.requests.sent - r.requests.total - r.errors);
  return {
    rps: r.requests.total / DURATION,
    p50: r.latency.p50,
    p99: unfinished > 0.01 * (r.requests.total + unfinished) ? Infinity : r.latency.p99,
    // autocannon counts its timeouts among its errors too
    errors: r.errors - r.timeouts + (r.non2xx ?? 0),
    timeouts: r.timeouts + unfinished,
    cpuMs: pid ? ((cpuTicks(pid) - before) * 10) / Math.max(1, r.requests.total) : undefined,
  };
}

/** A row: `ceiling` names the row it is a ratio of (a ceiling row has none). */
export const row = (name, ceiling, measure) => ({ name, ceiling, measure, results: [] });

/** Every row once per round, in order, so drift of the shared machine shows as the spread. */
export async function runRounds(rows, between = async () => undefined) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of rows) {
      r.results[round] = await r.measure(round);
      process.stderr.write(`round ${round + 1}: ${r.name}: ${r.results[round].rps.toFixed(0)} req/s\n`);
    }
    await between(round);
  }
  return rows;
}

export function ratioOf(r, rows, round) {
  if (!r.ceiling) return 1;
  const ceiling = rows.find((c) => c.name === r.ceiling);
  return r.results[round].rps / ceiling.results[round].rps;
}

const SHORT = { 'ceiling: bare Express hello': 'hello', 'ceiling: bare pg single-row insert': 'insert', 'ceiling: bare pg single-row insert through PgBouncer': 'pooled insert' };
const pad = (s, n) => String(s).padEnd(n);
const each = (r, f) => r.results.map(f).join(' / ');
const ms = (v) => (v === Infinity ? '—' : String(v));

export function printTable(rows) {
  console.log(`${pad('endpoint', 80)} ${pad('req/s', 13)} ${pad('p50 ms', 9)} ${pad('p99 ms', 11)} ${pad('errors', 9)} ${pad('timeouts', 9)} ${pad('ratio', 24)} CPU ms/req`);
  for (const r of rows) {
    const ratio = r.ceiling ? `${each(r, (_, i) => `${(100 * ratioOf(r, rows, i)).toFixed(0)}`)} % of ${SHORT[r.ceiling] ?? r.ceiling}` : 'ceiling';
    const cpu = r.results[0].cpuMs === undefined ? '' : each(r, (x) => x.cpuMs.toFixed(3));
    console.log(`${pad(r.name, 80)} ${pad(each(r, (x) => x.rps.toFixed(0)), 13)} ${pad(each(r, (x) => ms(x.p50)), 9)} ${pad(each(r, (x) => ms(x.p99)), 11)} ${pad(each(r, (x) => x.errors), 9)} ${pad(each(r, (x) => x.timeouts), 9)} ${pad(ratio, 24)} ${cpu}`);
  }
}

/** Targets over rows: `check(result, ratio)` per round; met only if met in every round. */
export function printTargets(targets, rows) {
  console.log('\ntargets (every round must meet them):');
  for (const t of targets) {
    const r = rows.find((x) => x.name === t.row);
    if (!r) continue;
    const verdicts = r.results.map((res, i) => t.check(res, ratioOf(r, rows, i)));
    const shown = r.results.map((res, i) => t.show(res, ratioOf(r, rows, i))).join(' / ');
    console.log(`  ${verdicts.every(Boolean) ? 'met   ' : 'MISSED'} ${pad(t.what, 62)} ${shown}`);
  }
}

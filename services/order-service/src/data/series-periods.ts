// Order counts and totals per status for consecutive periods bounded by any instants, from the
// series' daily, hourly and quarter-hour roll-ups (statuses as columns) and, for what is left of a
// quarter, the orders.
//
// Every bound b is read relative to its nearest UTC midnight M, nearest whole hour H and nearest
// quarter hour Q: the orders before b are those before M (daily rows), plus or minus [M, H) (at most
// 12 hourly rows), plus or minus [H, Q) (at most 2 quarter rows), plus or minus [Q, b) (orders, only
// when b is not on a quarter: no zone in use today, some historical offsets). A period [b0, b1) is
// then days [M0, M1) + corr(b1) − corr(b0). The database sums each day and each bound's
// correction (long runs of days at one offset by time of day, series-runs.ts); the periods are put
// together here.

import { QueryTypes, type Transaction } from 'sequelize';
import { ORDER_STATUSES } from '../domain/order-lifecycle.js';
import type { StatusCounts } from '../orders/ports.js';
import { toInt, type Database } from './database.js';
import { runPart, runsOf, type Span } from './series-runs.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const QUARTER = 900_000;

const SUMS = ORDER_STATUSES.flatMap((s) => [`${s}_orders`, `${s}_cents`]);

const NO_SPAN: Span = { lo: 0, hi: 0, sign: 0 };

const spanOf = (from: number, to: number): Span => ({ lo: Math.min(from, to), hi: Math.max(from, to), sign: to > from ? 1 : to < from ? -1 : 0 });

/** How each level is read: under a LIMIT no span can reach, which also keeps the planner's estimate small. */
const LEVELS = [
  { name: 'h', rows: '(SELECT * FROM order_series_hourly WHERE hour >= c.hlo AND hour < c.hhi ORDER BY hour LIMIT 12) r' },
  { name: 'q', rows: '(SELECT * FROM order_series_quarterly WHERE quarter >= c.qlo AND quarter < c.qhi ORDER BY quarter LIMIT 2) r' },
] as const;

const ORDER_SUMS = ORDER_STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}') AS ${s}_orders, coalesce(sum(total_cents) FILTER (WHERE status = '${s}'), 0) AS ${s}_cents`).join(', ');

/**
 * Each bound's correction, one row per bound that needs one: a lateral sum per level (an empty span
 * finds no row), the orders' level only when some bound is off the quarters.
 */
function correctionsSql(levels: ReadonlyArray<'h' | 'q' | 'o'>): string {
  const lateral = LEVELS.map((l) => `CROSS JOIN LATERAL (SELECT ${SUMS.map((c) => `coalesce(sum(r.${c}), 0)::int8 AS ${c}`).join(', ')} FROM ${l.rows}) ${l.name}`);
  if (levels.includes('o')) lateral.push(`CROSS JOIN LATERAL (SELECT ${ORDER_SUMS} FROM orders WHERE created_at >= c.olo AND created_at < c.ohi) o`);
  return `SELECT 1 AS kind, c.k AS i, ${SUMS.map((col) => `${levels.map((l) => `c.${l}s * ${l}.${col}`).join(' + ')} AS ${col}`).join(', ')}
       FROM (SELECT k, ${levels.map((l) => `to_timestamp(${l}lo / 1000.0) AS ${l}lo, to_timestamp(${l}hi / 1000.0) AS ${l}hi, ${l}s`).join(', ')}
               FROM unnest($k::int[], ${levels.map((l) => `$${l}lo::int8[], $${l}hi::int8[], $${l}s::int[]`).join(', ')})
                    AS u(k, ${levels.map((l) => `${l}lo, ${l}hi, ${l}s`).join(', ')})) c
       ${lateral.join('\n       ')}`;
}

/**
 * Counts per status for each period [bounds[i], bounds[i+1]) (instants in ms, ascending), in one
 * query; bounds must lie between 1970 and 9999.
 */
export async function statsForPeriods(db: Database, bounds: number[]): Promise<StatusCounts[]> {
  const nearest = (t: number, step: number) => Math.round(t / step) * step;
  const n = bounds.length - 1;
  const days = bounds.map((b) => new Date(nearest(b, DAY)).toISOString().slice(0, 10));
  const bind: Record<string, unknown> = { first: days[0], last: days[n] };
  // whole days by their period: when the midnights are consecutive days a day's period is its
  // distance from the first, otherwise width_bucket finds it among them (months, weeks)
  const daily = days.every((d, i) => i === 0 || Date.parse(d) - Date.parse(days[i - 1]!) === DAY);
  if (!daily) bind.days = days;
  const parts = [
    daily
      ? `SELECT 0 AS kind, d.day - $first::date AS i, ${SUMS.map((c) => `d.${c}`).join(', ')}
           FROM order_series_daily d WHERE d.day >= $first::date AND d.day < $last::date`
      : `SELECT 0 AS kind, width_bucket(d.day, $days::date[]) - 1 AS i, ${SUMS.map((c) => `sum(d.${c})::int8 AS ${c}`).join(', ')}
           FROM order_series_daily d WHERE d.day >= $first::date AND d.day < $last::date GROUP BY 2`,
  ];
  const all = bounds
    .map((b, k) => {
      const [m, h, q] = [nearest(b, DAY), nearest(b, HOUR), nearest(b, QUARTER)];
      return { k, m, h: spanOf(m, h), q: spanOf(h, q), o: spanOf(q, b) };
    })
    .filter((c) => c.h.sign || c.q.sign || c.o.sign);
  const withOrders = all.some((c) => c.o.sign);
  // long runs of days at one offset, by time of day (series-runs.ts); the rest bound by bound
  for (const level of ['h', 'q'] as const) {
    runsOf(all, level).forEach((run, r) => {
      const part = runPart(run, `${level}run${r}`, SUMS);
      parts.push(part.sql);
      Object.assign(bind, part.bind);
      for (const c of run.corrections) c[level] = NO_SPAN;
    });
  }
  const corrections = all.filter((c) => c.h.sign || c.q.sign || c.o.sign);
  if (corrections.length) {
    const levels = withOrders ? (['h', 'q', 'o'] as const) : (['h', 'q'] as const);
    // instants as epoch milliseconds: formatting two thousand of them cost more than the query
    bind.k = corrections.map((c) => c.k);
    for (const level of levels) {
      Object.assign(bind, { [`${level}lo`]: corrections.map((c) => c[level].lo), [`${level}hi`]: corrections.map((c) => c[level].hi), [`${level}s`]: corrections.map((c) => c[level].sign) });
    }
    parts.push(correctionsSql(levels));
  }
  // one text value, not a row per day and bound: pg's row parser (or json_agg) cost more than the query
  const sql = `SELECT string_agg(concat_ws(',', kind, i, ${SUMS.join(', ')}), ';') AS rows FROM (${parts.join('\n UNION ALL\n')}) parts`;
  const select = async (transaction?: Transaction) => {
    const [result] = await db.query<{ rows: string | null }>(sql, { bind, type: QueryTypes.SELECT, transaction });
    return result!.rows ? result!.rows.split(';').map((r) => r.split(',').map(toInt)) : [];
  };
  // the orders' ranges are estimated high enough to start parallel workers and JIT-compile a query
  // of milliseconds: off for this transaction (the roll-ups alone need neither, nor a transaction)
  const rows = withOrders
    ? await db.transaction(async (transaction) => {
        await db.query("SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)", { transaction });
        return select(transaction);
      })
    : await select();
  return periodsOf(rows, n);
}

/** Adds each day to its period and each bound's correction to the period it ends (+) and the one it starts (−); a row is [kind, i, ...SUMS]. */
function periodsOf(rows: number[][], n: number): StatusCounts[] {
  const sums = Array.from({ length: n }, () => new Array<number>(SUMS.length).fill(0));
  const add = (period: number, r: number[], sign: number) => {
    if (period < 0 || period >= n) return;
    const into = sums[period]!;
    for (let j = 0; j < SUMS.length; j++) into[j]! += sign * r[j + 2]!;
  };
  for (const r of rows) {
    if (r[0] === 0) {
      add(r[1]!, r, 1);
    } else {
      add(r[1]! - 1, r, 1);
      add(r[1]!, r, -1);
    }
  }
  return sums.map((s) => {
    const counts: StatusCounts = new Map();
    // a status with no orders in the period stays absent, as the straight aggregate has it
    ORDER_STATUSES.forEach((status, j) => s[2 * j] !== 0 && counts.set(status, { orders: s[2 * j]!, cents: s[2 * j + 1]! }));
    return counts;
  });
}

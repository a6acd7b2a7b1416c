// Order counts and totals per status for consecutive periods bounded by any instants, from the
// daily roll-up, the hourly and quarter-hour roll-ups (statuses as columns) and, for what is left
// of a quarter, the orders.
//
// Every bound b is read relative to its nearest UTC midnight M, nearest whole hour H and nearest
// quarter hour Q: the orders before b are those before M (daily rows), plus or minus [M, H) (at most
// 12 hourly rows), plus or minus [H, Q) (at most 2 quarter rows), plus or minus [Q, b) (orders, only
// when b is not on a quarter: no zone in use today, some historical offsets). A period [b0, b1) is
// then days [M0, M1) + corr(b1) − corr(b0).

import { QueryTypes, type Transaction } from 'sequelize';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-lifecycle.js';
import type { StatusCounts } from '../orders/ports.js';
import { toInt, type Database } from './database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const QUARTER = 900_000;

/** The series roll-ups' part of the new orders' insert: two CTEs after `daily`, reading `o`, the last named `hourly` (see order-insert.ts); one row per quarter and per hour, in order. */
export const SERIES_ON_INSERT = `
  quarterly AS (
    INSERT INTO order_series_quarterly (quarter, pending_orders, pending_cents)
    SELECT date_bin('15 minutes', o.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*), sum(o.total_cents)
      FROM o, (SELECT count(*) FROM daily) AFTER_DAILY
     GROUP BY 1 ORDER BY 1
    ON CONFLICT (quarter) DO UPDATE SET pending_orders = order_series_quarterly.pending_orders + EXCLUDED.pending_orders,
                                        pending_cents = order_series_quarterly.pending_cents + EXCLUDED.pending_cents
    RETURNING quarter),
  hourly AS (
    INSERT INTO order_series_hourly (hour, pending_orders, pending_cents)
    SELECT date_trunc('hour', o.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*), sum(o.total_cents)
      FROM o, (SELECT count(*) FROM quarterly) AFTER_QUARTERLY
     GROUP BY 1 ORDER BY 1
    ON CONFLICT (hour) DO UPDATE SET pending_orders = order_series_hourly.pending_orders + EXCLUDED.pending_orders,
                                     pending_cents = order_series_hourly.pending_cents + EXCLUDED.pending_cents
    RETURNING hour)`;

function statusColumn(status: OrderStatus): string {
  // interpolated into SQL: only the lifecycle's own names
  if (!ORDER_STATUSES.includes(status)) throw new Error('not an order status');
  return status;
}

/** Moves one order between statuses in the quarter-hour and hourly roll-ups (in the status change's transaction). */
export async function countInSeriesStats(
  db: Database,
  change: { createdAt: Date; from: OrderStatus; to: OrderStatus; totalCents: number },
  transaction: Transaction,
): Promise<void> {
  const at = new Date(change.createdAt).getTime();
  const [to, from] = [statusColumn(change.to), statusColumn(change.from)];
  const upsert = (table: string, key: string, from_: string) => `
    INSERT INTO ${table} (${key}, ${to}_orders, ${to}_cents, ${from}_orders, ${from}_cents)
    SELECT $${key}::timestamptz, 1, $cents::bigint, -1, -$cents::bigint ${from_}
    ON CONFLICT (${key}) DO UPDATE SET ${[to, from].map((s) => `${s}_orders = ${table}.${s}_orders + EXCLUDED.${s}_orders, ${s}_cents = ${table}.${s}_cents + EXCLUDED.${s}_cents`).join(', ')}`;
  // the hour's row after the quarter's, as the insert locks them
  await db.query(`WITH q AS (${upsert('order_series_quarterly', 'quarter', '')} RETURNING 1) ${upsert('order_series_hourly', 'hour', 'FROM q')}`, {
    bind: { quarter: new Date(Math.floor(at / QUARTER) * QUARTER).toISOString(), hour: new Date(Math.floor(at / HOUR) * HOUR).toISOString(), cents: change.totalCents },
    transaction,
  });
}

const SUMS = ORDER_STATUSES.flatMap((s) => [`${s}_orders`, `${s}_cents`]);

/** Signed spans from each bound's coarser anchor to its finer one (empty ones left out). */
function spans(bounds: number[], from: number[], to: number[]) {
  return bounds
    .map((_, i) => ({ k: i, lo: Math.min(from[i]!, to[i]!), hi: Math.max(from[i]!, to[i]!), sign: to[i]! >= from[i]! ? 1 : -1 }))
    .filter((s) => s.lo < s.hi);
}

type Span = ReturnType<typeof spans>[number];

/**
 * The hour and quarter rows of the bounds' spans, summed per bound and then used twice: one range
 * scan of the primary key per bound, under a LIMIT no span can reach (at most 12 hours, 2 quarters),
 * which also keeps the planner's estimate small (uncapped, the ranges looked costly enough to it to
 * JIT-compile a query of milliseconds). Null when no bound needs them.
 */
function rollUpCorrections(wide: Array<{ name: string; table: string; key: string; list: Span[]; most: number }>, bind: Record<string, unknown>): string | null {
  const used = wide.filter((w) => w.list.length > 0);
  if (!used.length) return null;
  const iso = (t: number) => new Date(t).toISOString();
  const rowsOf = (w: (typeof wide)[number]) => {
    Object.assign(bind, { [`${w.name}lo`]: w.list.map((x) => iso(x.lo)), [`${w.name}hi`]: w.list.map((x) => iso(x.hi)), [`${w.name}k`]: w.list.map((x) => x.k), [`${w.name}s`]: w.list.map((x) => x.sign) });
    return `SELECT c.k, ${SUMS.map((col) => `c.sign * r.${col} AS ${col}`).join(', ')}
         FROM unnest($${w.name}lo::timestamptz[], $${w.name}hi::timestamptz[], $${w.name}k::int[], $${w.name}s::int[]) AS c(lo, hi, k, sign)
         CROSS JOIN LATERAL (SELECT * FROM ${w.table} WHERE ${w.key} >= c.lo AND ${w.key} < c.hi LIMIT ${w.most}) r`;
  };
  return `SELECT t.point, ${SUMS.map((c) => `t.sign * b.${c}`).join(', ')}
       FROM (SELECT k, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
               FROM (${used.map(rowsOf).join(' UNION ALL ')}) x
              GROUP BY k) b
       CROSS JOIN LATERAL (VALUES (b.k - 1, 1), (b.k, -1)) AS t(point, sign)`;
}

/** What is left of a quarter (a bound off the quarter hours), from the orders, once per bound. */
function orderCorrections(partial: Span[], bind: Record<string, unknown>): string {
  const iso = (t: number) => new Date(t).toISOString();
  Object.assign(bind, { olo: partial.map((s) => iso(s.lo)), ohi: partial.map((s) => iso(s.hi)), ok: partial.map((s) => s.k), os: partial.map((s) => s.sign) });
  return `SELECT t.point, ${SUMS.map((c) => `t.sign * x.${c}`).join(', ')}
       FROM unnest($olo::timestamptz[], $ohi::timestamptz[], $ok::int[], $os::int[]) AS c(lo, hi, k, sign)
       CROSS JOIN LATERAL (SELECT ${ORDER_STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}') AS ${s}_orders, sum(total_cents) FILTER (WHERE status = '${s}') AS ${s}_cents`).join(', ')}
                             FROM orders WHERE created_at >= c.lo AND created_at < c.hi) x
       CROSS JOIN LATERAL (VALUES (c.k - 1, c.sign), (c.k, -c.sign)) AS t(point, sign)`;
}

/**
 * Counts per status for each period [bounds[i], bounds[i+1]) (instants in ms, ascending), in one
 * query; bounds must lie between 1970 and 9999.
 */
export async function statsForPeriods(db: Database, bounds: number[]): Promise<StatusCounts[]> {
  const nearest = (step: number) => bounds.map((b) => Math.round(b / step) * step);
  const [midnights, hours, quarters] = [nearest(DAY), nearest(HOUR), nearest(QUARTER)];
  const n = bounds.length - 1;
  const days = midnights.map((t) => new Date(t).toISOString().slice(0, 10));
  const bind: Record<string, unknown> = { days, first: days[0], last: days[n], n };
  // whole days by their point: width_bucket finds each day's period among the ascending midnights
  const parts = [
    `SELECT width_bucket(d.day, $days::date[]) - 1 AS point,
            ${ORDER_STATUSES.map((s) => `sum(d.orders) FILTER (WHERE d.status = '${s}') AS ${s}_orders, sum(d.total_cents) FILTER (WHERE d.status = '${s}') AS ${s}_cents`).join(',\n            ')}
       FROM order_stats_daily d WHERE d.day >= $first::date AND d.day < $last::date
      GROUP BY 1`,
  ];
  const rollUps = rollUpCorrections(
    [
      { name: 'h', table: 'order_series_hourly', key: 'hour', list: spans(bounds, midnights, hours), most: 12 },
      { name: 'q', table: 'order_series_quarterly', key: 'quarter', list: spans(bounds, hours, quarters), most: 2 },
    ],
    bind,
  );
  if (rollUps) parts.push(rollUps);
  const partial = spans(bounds, quarters, bounds);
  if (partial.length) parts.push(orderCorrections(partial, bind));
  const sql = `SELECT point, ${SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
                 FROM (${parts.join('\n UNION ALL\n')}) parts
                WHERE point >= 0 AND point < $n
                GROUP BY point`;
  const select = (transaction?: Transaction) => db.query<Record<string, string | number | null>>(sql, { bind, type: QueryTypes.SELECT, transaction });
  // the orders' ranges are estimated high enough to start parallel workers and JIT-compile a query
  // of milliseconds: off for this transaction (the roll-ups alone need neither, nor a transaction)
  const rows = partial.length
    ? await db.transaction(async (transaction) => {
        await db.query("SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)", { transaction });
        return select(transaction);
      })
    : await select();
  return periodsOf(rows, n);
}

function periodsOf(rows: Array<Record<string, string | number | null>>, n: number): StatusCounts[] {
  const periods: StatusCounts[] = Array.from({ length: n }, () => new Map());
  for (const r of rows) {
    const counts = periods[Number(r.point)]!;
    for (const st of ORDER_STATUSES) {
      const orders = r[`${st}_orders`];
      // a status with no rows anywhere stays absent, as the straight aggregate has it
      if (orders !== null && orders !== undefined) counts.set(st, { orders: toInt(orders), cents: toInt(r[`${st}_cents`] ?? 0) });
    }
  }
  return periods;
}

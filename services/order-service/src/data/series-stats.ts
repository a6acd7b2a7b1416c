// Order counts and totals per status for consecutive periods bounded by any instants, from the
// daily roll-up, the hourly roll-up (order_stats_hourly) and, for what is left of an hour, the orders.
//
// Every bound b is read relative to its nearest UTC midnight M and nearest whole hour H: the
// orders before b are those before M (daily rows), plus or minus [M, H) (hourly rows, at most
// 12 h of them) plus or minus [H, b) (orders, at most 30 min, and only when b is not on the hour).
// A period [b0, b1) is then days [M0, M1) + corr(b1) − corr(b0).

import { QueryTypes, type Transaction } from 'sequelize';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-lifecycle.js';
import type { StatusCounts } from '../orders/ports.js';
import { toInt, type Database } from './database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The hourly roll-up's part of the new orders' insert (a CTE after `daily`, reading `o`; see order-insert.ts): one row per hour, in order. */
export const HOURLY_ON_INSERT = `
  INSERT INTO order_stats_hourly (hour, status, orders, total_cents)
  SELECT date_trunc('hour', o.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 'pending', count(*), sum(o.total_cents)
    FROM o, (SELECT count(*) FROM daily) AFTER_DAILY
   GROUP BY 1 ORDER BY 1
  ON CONFLICT (hour, status) DO UPDATE SET orders = order_stats_hourly.orders + EXCLUDED.orders,
                                           total_cents = order_stats_hourly.total_cents + EXCLUDED.total_cents
  RETURNING hour`;

/** Moves one order between statuses in the hourly roll-up (in the status change's transaction). */
export async function countInHourlyStats(
  db: Database,
  change: { createdAt: Date; from: OrderStatus; to: OrderStatus; totalCents: number },
  transaction: Transaction,
): Promise<void> {
  const hour = new Date(Math.floor(new Date(change.createdAt).getTime() / HOUR) * HOUR).toISOString();
  // the update reads the insert's row, so both rows are always locked in the same order (to, then from)
  await db.query(
    `WITH added AS (
       INSERT INTO order_stats_hourly (hour, status, orders, total_cents) VALUES ($hour, $to, 1, $cents)
       ON CONFLICT (hour, status) DO UPDATE SET orders = order_stats_hourly.orders + 1,
                                                total_cents = order_stats_hourly.total_cents + EXCLUDED.total_cents
       RETURNING hour)
     UPDATE order_stats_hourly h SET orders = h.orders - 1, total_cents = h.total_cents - $cents
       FROM added WHERE h.hour = added.hour AND h.status = $from`,
    { bind: { hour, to: change.to, from: change.from, cents: change.totalCents }, transaction },
  );
}

/**
 * Counts per status for each period [bounds[i], bounds[i+1]) (instants in ms, ascending), in one
 * query; bounds must lie between 1970 and 9999.
 */
export async function statsForPeriods(db: Database, bounds: number[]): Promise<StatusCounts[]> {
  const midnights = bounds.map((b) => Math.round(b / DAY) * DAY);
  const hours = bounds.map((b) => Math.round(b / HOUR) * HOUR);
  const iso = (t: number) => new Date(t).toISOString();
  const day = (t: number) => iso(t).slice(0, 10);
  const spans = (from: number[], to: number[]) => {
    const s = bounds.map((_, i) => ({ i, lo: Math.min(from[i]!, to[i]!), hi: Math.max(from[i]!, to[i]!), sign: to[i]! >= from[i]! ? 1 : -1 }));
    return s.filter((x) => x.lo < x.hi);
  };
  const hourly = spans(midnights, hours);
  const partial = spans(hours, bounds);
  const bind: Record<string, unknown> = { dlo: midnights.slice(0, -1).map(day), dhi: midnights.slice(1).map(day), n: bounds.length - 1 };
  // each part gives (point, sign, status, orders, cents); a bound's correction ends one point (+) and starts the next (−)
  const parts = [
    `SELECT p.k::int - 1 AS point, 1 AS sign, d.status, d.orders, d.total_cents AS cents
       FROM unnest($dlo::date[], $dhi::date[]) WITH ORDINALITY AS p(lo, hi, k)
       JOIN order_stats_daily d ON d.day >= p.lo AND d.day < p.hi`,
  ];
  const corrections = (name: string, list: typeof hourly, rows: string) => {
    Object.assign(bind, { [`${name}lo`]: list.map((s) => iso(s.lo)), [`${name}hi`]: list.map((s) => iso(s.hi)), [`${name}k`]: list.map((s) => s.i), [`${name}s`]: list.map((s) => s.sign) });
    // summed per bound first, so each range is read once and only the sums are counted twice
    parts.push(`SELECT t.point, t.sign, b.status, b.orders, b.cents
       FROM (SELECT c.k, c.sign, x.status, sum(x.orders) AS orders, sum(x.cents) AS cents
               FROM unnest($${name}lo::timestamptz[], $${name}hi::timestamptz[], $${name}k::int[], $${name}s::int[]) AS c(lo, hi, k, sign)
               CROSS JOIN LATERAL (${rows}) x
              GROUP BY c.k, c.sign, x.status) b
       CROSS JOIN LATERAL (VALUES (b.k - 1, b.sign), (b.k, -b.sign)) AS t(point, sign)`);
  };
  if (hourly.length) corrections('h', hourly, 'SELECT status, orders, total_cents AS cents FROM order_stats_hourly WHERE hour >= c.lo AND hour < c.hi');
  if (partial.length) corrections('o', partial, 'SELECT status, 1 AS orders, total_cents AS cents FROM orders WHERE created_at >= c.lo AND created_at < c.hi');
  const perStatus = ORDER_STATUSES.map((st) => `sum(sign * orders) FILTER (WHERE status = '${st}') AS "${st}", sum(sign * cents) FILTER (WHERE status = '${st}') AS "${st}_cents"`);
  const sql = `SELECT point, ${perStatus.join(', ')}
                 FROM (${parts.join('\n UNION ALL\n')}) parts
                WHERE point >= 0 AND point < $n
                GROUP BY point`;
  // the planner cannot estimate range joins on arrays: it overrates them enough to start parallel
  // workers and JIT-compile for a query of a few milliseconds (settings local to this transaction)
  const rows = await db.transaction(async (transaction) => {
    await db.query("SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)", { transaction });
    return db.query<Record<string, string | number | null>>(sql, { bind, type: QueryTypes.SELECT, transaction });
  });

  const periods: StatusCounts[] = bounds.slice(1).map(() => new Map());
  for (const r of rows) {
    const counts = periods[Number(r.point)]!;
    for (const st of ORDER_STATUSES) {
      if (r[st] !== null) counts.set(st, { orders: toInt(r[st]!), cents: toInt(r[`${st}_cents`] ?? 0) });
    }
  }
  return periods;
}

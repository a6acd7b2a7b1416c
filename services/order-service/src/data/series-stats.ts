// Order counts and totals per status for consecutive periods bounded by any instants, from the
// daily roll-up, the hourly roll-up (order_stats_hourly) and, for what is left of an hour, the orders.
//
// Every bound b is read relative to its nearest UTC midnight M and nearest whole hour H: the
// orders before b are those before M (daily rows), plus or minus [M, H) (hourly rows, at most
// 12 h of them) plus or minus [H, b) (orders, at most 30 min, and only when b is not on the hour).
// A period [b0, b1) is then days [M0, M1) + corr(b1) − corr(b0).

import { QueryTypes, type Transaction } from 'sequelize';
import type { OrderStatus } from '../domain/order-lifecycle.js';
import { toInt, type Database } from './database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export type StatusCounts = Map<OrderStatus, { orders: number; cents: number }>;

/** The hourly roll-up's part of a new order's insert (a CTE after `daily`, reading `o`; see order-repository). */
export const HOURLY_ON_INSERT = `
  INSERT INTO order_stats_hourly (hour, status, orders, total_cents)
  SELECT date_trunc('hour', o.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 'pending', 1, o.total_cents FROM o, daily
  ON CONFLICT (hour, status) DO UPDATE SET orders = order_stats_hourly.orders + 1,
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
  const bind: Record<string, unknown> = {
    dlo: midnights.slice(0, -1).map(day),
    dhi: midnights.slice(1).map(day),
  };
  const parts = [
    `SELECT 'd' AS part, p.k::int AS k, d.status, sum(d.orders) AS orders, sum(d.total_cents) AS cents
       FROM unnest($dlo::date[], $dhi::date[]) WITH ORDINALITY AS p(lo, hi, k)
       JOIN order_stats_daily d ON d.day >= p.lo AND d.day < p.hi
      GROUP BY p.k, d.status`,
  ];
  if (hourly.length) {
    Object.assign(bind, { hlo: hourly.map((s) => iso(s.lo)), hhi: hourly.map((s) => iso(s.hi)), hk: hourly.map((s) => s.i) });
    parts.push(`SELECT 'h', c.k, h.status, sum(h.orders), sum(h.total_cents)
       FROM unnest($hlo::timestamptz[], $hhi::timestamptz[], $hk::int[]) AS c(lo, hi, k)
       JOIN order_stats_hourly h ON h.hour >= c.lo AND h.hour < c.hi
      GROUP BY c.k, h.status`);
  }
  if (partial.length) {
    Object.assign(bind, { olo: partial.map((s) => iso(s.lo)), ohi: partial.map((s) => iso(s.hi)), ok: partial.map((s) => s.i) });
    parts.push(`SELECT 'o', c.k, o.status, count(*), sum(o.total_cents)
       FROM unnest($olo::timestamptz[], $ohi::timestamptz[], $ok::int[]) AS c(lo, hi, k)
       JOIN orders o ON o.created_at >= c.lo AND o.created_at < c.hi
      GROUP BY c.k, o.status`);
  }
  const rows = await db.query<{ part: 'd' | 'h' | 'o'; k: number; status: OrderStatus; orders: string; cents: string | null }>(
    parts.join('\n UNION ALL\n'),
    { bind, type: QueryTypes.SELECT },
  );

  // corrections per bound, then each period: its days + corr(end) − corr(start)
  const signOf = new Map<string, number>([...hourly.map((s) => [`h${s.i}`, s.sign] as const), ...partial.map((s) => [`o${s.i}`, s.sign] as const)]);
  const periods: StatusCounts[] = bounds.slice(1).map(() => new Map());
  const add = (period: number, status: OrderStatus, orders: number, cents: number) => {
    const counts = periods[period];
    if (!counts) return;
    const c = counts.get(status) ?? { orders: 0, cents: 0 };
    counts.set(status, { orders: c.orders + orders, cents: c.cents + cents });
  };
  for (const r of rows) {
    const orders = toInt(r.orders);
    const cents = toInt(r.cents ?? 0);
    if (r.part === 'd') {
      add(r.k - 1, r.status, orders, cents);
      continue;
    }
    const sign = signOf.get(`${r.part}${r.k}`)!;
    // bound k ends period k−1 and starts period k
    add(r.k - 1, r.status, sign * orders, sign * cents);
    add(r.k, r.status, -sign * orders, -sign * cents);
  }
  return periods;
}

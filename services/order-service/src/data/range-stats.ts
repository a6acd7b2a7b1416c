// The admin statistics over a range: the UTC days wholly inside it from the daily roll-up, the
// partial first and last day from the orders (index-only range scans on orders_created_covering_idx).

import { QueryTypes } from 'sequelize';
import { ORDER_STATUSES, REVENUE_STATUSES, type OrderStatus } from '../domain/order-lifecycle.js';
import type { OrderStats } from '../domain/records.js';
import type { StatsRange } from '../orders/ports.js';
import { addBound, whereOf } from './bound-clauses.js';
import { toInt, type Database } from './database.js';

const DAY_MS = 86_400_000;
const dayStart = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const nextDayStart = (d: Date) => new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);
// the latest bound the API takes (9999-12-31T23:59:59.999Z): the day after it has no four-digit year
const LAST_INSTANT = 253_402_300_799_999;
const dayText = (d: Date) => d.toISOString().slice(0, 10);

type Span = [Date | undefined, Date | undefined];
type Totals = { byStatus: Record<OrderStatus, number>; revenueMinor: number; revenueOrders: number; today: number; month: number };

export function createRangeStats(db: Database) {
  /** The statistics in one query over the whole days' roll-up and the partial days' orders. */
  async function stats(range: StatsRange): Promise<OrderStats> {
    const bind: Record<string, unknown> = {};
    const parts = [...wholeDays(range, bind), ...partialDays(range, bind)];
    const rows = parts.length
      ? await db.query<{ status: OrderStatus; orders: string; cents: string | null; today: string | null; month: string | null }>(
          `SELECT status, sum(orders) AS orders, sum(cents) AS cents, sum(today) AS today, sum(month) AS month
             FROM (${parts.join('\n UNION ALL ')}) p
            GROUP BY status`,
          { bind, type: QueryTypes.SELECT },
        )
      : [];
    const totals: Totals = { byStatus: zeroByStatus(), revenueMinor: 0, revenueOrders: 0, today: 0, month: 0 };
    for (const r of rows) {
      const n = toInt(r.orders);
      totals.byStatus[r.status] = n;
      totals.today += toInt(r.today ?? 0);
      totals.month += toInt(r.month ?? 0);
      if (REVENUE_STATUSES.includes(r.status)) {
        totals.revenueMinor += toInt(r.cents ?? 0);
        totals.revenueOrders += n;
      }
    }
    return summarise(totals, range);
  }

  /** Every figure from one aggregate query over the orders (never one query per status): the reference for stats(). */
  async function statsFromOrders(range: StatsRange): Promise<OrderStats> {
    const perStatus = ORDER_STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}') AS "${s}"`).join(',\n');
    const revenue = REVENUE_STATUSES.map((s) => `'${s}'`).join(',');
    const bind: Record<string, unknown> = { today: range.todayStart, month: range.monthStart };
    const conds = addBound([], bind, [['created_at >= $from', 'from', range.from], ['created_at < $to', 'to', range.to]]);
    const [row] = await db.query<Record<string, string | null>>(
      `SELECT count(*) AS total, ${perStatus},
              coalesce(sum(total_cents) FILTER (WHERE status IN (${revenue})), 0) AS revenue_cents,
              count(*) FILTER (WHERE status IN (${revenue})) AS revenue_orders,
              count(*) FILTER (WHERE created_at >= $today) AS today,
              count(*) FILTER (WHERE created_at >= $month) AS month
         FROM orders ${whereOf(conds)}`,
      { bind, type: QueryTypes.SELECT },
    );
    const r = row ?? {};
    const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, toInt(r[s] ?? 0)])) as Record<OrderStatus, number>;
    const totals = { byStatus, revenueMinor: toInt(r.revenue_cents ?? 0), revenueOrders: toInt(r.revenue_orders ?? 0), today: toInt(r.today ?? 0), month: toInt(r.month ?? 0) };
    return summarise(totals, range);
  }

  return { stats, statsFromOrders };
}

/** The whole UTC days [firstDay, endDay) of the range, from the daily roll-up (none when empty). */
function wholeDays(range: StatsRange, bind: Record<string, unknown>): string[] {
  const firstDay = range.from && nextDayStart(range.from);
  const endDay = range.to && dayStart(range.to);
  if ((firstDay && firstDay.getTime() > LAST_INSTANT) || (firstDay && endDay && firstDay >= endDay)) return [];
  Object.assign(bind, { today: dayText(range.todayStart), month: dayText(range.monthStart) });
  const conds = addBound([], bind, [['day >= $firstDay', 'firstDay', firstDay && dayText(firstDay)], ['day < $endDay', 'endDay', endDay && dayText(endDay)]]);
  return [`SELECT status, sum(orders) AS orders, sum(total_cents) AS cents,
                  sum(orders) FILTER (WHERE day >= $today) AS today, sum(orders) FILTER (WHERE day >= $month) AS month
             FROM order_stats_daily ${whereOf(conds)} GROUP BY status`];
}

/** The partial days as disjoint instants [start, end): the head up to from's next midnight, the tail from to's midnight. */
function partialDays(range: StatsRange, bind: Record<string, unknown>): string[] {
  const { from, to } = range;
  const firstDay = from && nextDayStart(from);
  const endDay = to && dayStart(to);
  const beyondLastDay = firstDay !== undefined && firstDay.getTime() > LAST_INSTANT;
  const edges: Span[] = [];
  const head: Span | null = from && firstDay!.getTime() !== from.getTime() ? [from, to && to < firstDay! ? to : beyondLastDay ? undefined : firstDay] : null;
  const tail: Span | null = to && endDay!.getTime() !== to.getTime() ? [from && from > endDay! ? from : endDay, to] : null;
  if (head) edges.push(head);
  // within one day head and tail are the same span [from, to)
  if (tail && !(head && head[0]!.getTime() === tail[0]!.getTime() && head[1]!.getTime() === tail[1]!.getTime())) edges.push(tail);
  return edges.flatMap(([start, end], i) => {
    if (start && end && start >= end) return [];
    Object.assign(bind, { todayTs: range.todayStart, monthTs: range.monthStart });
    const conds = addBound([], bind, [[`created_at >= $e${i}s`, `e${i}s`, start], [`created_at < $e${i}e`, `e${i}e`, end]]);
    return [`SELECT status, count(*) AS orders, sum(total_cents) AS cents,
                    count(*) FILTER (WHERE created_at >= $todayTs) AS today, count(*) FILTER (WHERE created_at >= $monthTs) AS month
               FROM orders ${whereOf(conds)} GROUP BY status`];
  });
}

const zeroByStatus = () => Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;

function summarise(a: Totals, range: { from?: Date; to?: Date }): OrderStats {
  return {
    totalOrders: Object.values(a.byStatus).reduce((x, y) => x + y, 0),
    byStatus: a.byStatus,
    revenueMinor: a.revenueMinor,
    revenueOrders: a.revenueOrders,
    // half away from zero on integers
    averageOrderValueMinor: a.revenueOrders === 0 ? 0 : Math.floor((a.revenueMinor * 2 + a.revenueOrders) / (2 * a.revenueOrders)),
    ordersToday: a.today,
    ordersThisMonth: a.month,
    from: range.from ?? null,
    to: range.to ?? null,
    currency: 'USD',
  };
}

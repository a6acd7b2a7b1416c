// The SQL of the admin search and the export: keyset pages over (sort key, id), one statement each,
// so nothing holds a transaction or a server session between pages (PgBouncer transaction mode).

import { QueryTypes } from 'sequelize';
import type { OrderSearchPort, SearchCriteria, SearchPageRows } from '../orders/search-ports.js';
import { toInt, type Database } from './database.js';
import { createExportBatch } from './order-export-batch.js';
import { addOrderFilter, CREATED_KEY, summaryOf } from './order-filters.js';
import { productSource, type SearchSource } from './product-search.js';

export { EXPORT_QUERY_MARKER } from './order-export-batch.js';

/** The order-number, email and tracking forms: conditions on orders o, read in the sort's index order. */
function orderSource(c: SearchCriteria, bind: Record<string, unknown>): SearchSource {
  const conds: string[] = [];
  const form = c.form;
  if (form?.kind === 'order_number_prefix') {
    conds.push(`o.order_number LIKE $prefix`);
    bind.prefix = `${form.prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  } else if (form?.kind === 'email') {
    conds.push('lower(o.customer_email) = lower($email)');
    bind.email = form.email;
  } else if (form?.kind === 'tracking_number') {
    conds.push('o.tracking_number = $tracking');
    bind.tracking = form.trackingNumber;
  }
  return { from: 'orders o', key: c.sort === 'total_amount' ? 'o.total_cents' : 'o.created_at', id: 'o.id', conds };
}

export function createOrderSearch(db: Database): OrderSearchPort {
  async function search(c: SearchCriteria): Promise<SearchPageRows> {
    const bind: Record<string, unknown> = { limit: c.limit + 1, offset: c.offset };
    const source = c.form?.kind === 'product' ? productSource(c.form.productId, c, bind) : orderSource(c, bind);
    const conds = [...source.conds];
    addOrderFilter(c, conds, bind);
    const dir = c.direction === 'asc' ? 'ASC' : 'DESC';
    if (c.after && source.from === 'orders o') {
      // a row comparison: the index on (sort key, id) serves it in either direction
      conds.push(`(${source.key}, o.id) ${c.direction === 'asc' ? '>' : '<'} ($afterKey::${c.sort === 'total_amount' ? 'bigint' : 'timestamptz'}, $afterId)`);
    }
    if (c.after) Object.assign(bind, { afterKey: c.after.key, afterId: c.after.id });
    const rows = await db.query<Record<string, unknown>>(
      `SELECT o.id, o.order_number, o.user_id, o.customer_email, o.status, o.payment_status, o.total_cents, o.currency,
              o.created_at, ${CREATED_KEY} AS created_key,
              (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count
         FROM ${source.from} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY ${source.key} ${dir}, ${source.id} ${dir}
        LIMIT $limit OFFSET $offset`,
      { bind, type: QueryTypes.SELECT },
    );
    const page = rows.slice(0, c.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(summaryOf),
      next:
        rows.length > c.limit && last
          ? { key: c.sort === 'total_amount' ? String(last.total_cents) : String(last.created_key), id: toInt(last.id) }
          : null,
    };
  }

  return { search, ...createExportBatch(db) };
}

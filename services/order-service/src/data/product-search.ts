// The admin search's product form: a product's orders in the page's order, straight off
// order_items_product_created_idx or order_items_product_total_idx (each item carries its order's
// created_at and total, migration 0012), so a page stops after its rows whether the product is on
// one order in a thousand or on every one.

import type { SearchCriteria } from '../orders/search-ports.js';

/** Where a search reads from and in what order (the sort key and its tie-breaker, as SQL). */
export interface SearchSource {
  /** the FROM clause: orders o, perhaps joined to the matching items m */
  from: string;
  key: string;
  id: string;
  /** conditions on orders o */
  conds: string[];
}

/** The source of a product's orders; binds $product, and the range and cursor on the items' side. */
export function productSource(productId: number, c: SearchCriteria, bind: Record<string, unknown>): SearchSource {
  bind.product = productId;
  const byTotal = c.sort === 'total_amount';
  const key = byTotal ? 'i.order_total_cents' : 'i.order_created_at';
  const itemConds = ['i.product_id = $product'];
  if (c.from !== undefined) itemConds.push('i.order_created_at >= $from');
  if (c.to !== undefined) itemConds.push('i.order_created_at < $to');
  if (c.after) itemConds.push(`(${key}, i.order_id) ${c.direction === 'asc' ? '>' : '<'} ($afterKey::${byTotal ? 'bigint' : 'timestamptz'}, $afterId)`);
  const dir = c.direction === 'asc' ? 'ASC' : 'DESC';
  // DISTINCT: an order with two lines of the product is one match; in index order, so a page stops early
  return {
    from: `(SELECT DISTINCT ${key} AS key, i.order_id FROM order_items i WHERE ${itemConds.join(' AND ')}
             ORDER BY 1 ${dir}, 2 ${dir}) m JOIN orders o ON o.id = m.order_id`,
    key: 'm.key',
    id: 'm.order_id',
    conds: [],
  };
}

// The admin search's product form: which rows hold a product's orders in the page's order.
// order_items carries each order's created_at and total (migration 0012), so by created_at a
// product's orders come straight off order_items_product_created_idx, rare or common; by total a
// rare product's items are sorted, a common one's orders walked by total and checked.

import { QueryTypes } from 'sequelize';
import type { SearchCriteria } from '../orders/search-ports.js';
import { toInt, type Database } from './database.js';

/** Where a product search reads from, in what order, and where the cursor condition goes. */
export interface ProductSource {
  /** the FROM clause (orders o, perhaps joined to the matching items m) */
  from: string;
  /** the sort key and the tie-breaker, as SQL */
  key: string;
  id: string;
  /** conditions on orders o */
  conds: string[];
}

export function createProductSearch(db: Database, rareProductItems: number) {
  /** True when the product has fewer than rareProductItems items (an index-only count that stops there). */
  async function isRareProduct(productId: number): Promise<boolean> {
    const [row] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM order_items WHERE product_id = $product LIMIT $rare) s`,
      { bind: { product: productId, rare: rareProductItems }, type: QueryTypes.SELECT },
    );
    return toInt(row?.n ?? 0) < rareProductItems;
  }

  /** The source of a product's orders; binds $product (and the item-side range and cursor). */
  return async function productSource(productId: number, c: SearchCriteria, bind: Record<string, unknown>): Promise<ProductSource> {
    bind.product = productId;
    const byTotal = c.sort === 'total_amount';
    if (byTotal && !(await isRareProduct(productId))) {
      // common: 20 matches come after a few walked orders; the check is one probe of the items' index
      return {
        from: 'orders o',
        key: 'o.total_cents',
        id: 'o.id',
        conds: ['EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = $product AND i.order_created_at = o.created_at AND i.order_id = o.id)'],
      };
    }
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
  };
}

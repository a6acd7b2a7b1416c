// The export's batches (orders/export-orders.ts) over an in-memory store with the port's meaning:
// the range cut ahead at every batchSize-th order, batches read ahead while one is written, every
// order once and in order, orders committed into a cut range since still exported, and nothing
// read after the client leaves.
import fc from 'fast-check';
import { createExportOrders } from '../../src/orders/export-orders.js';
import type { ExportBatch, KeysetPosition, OrderSearchPort } from '../../src/orders/search-ports.js';

const admin = { userId: 1, email: 'admin@example.com', role: 'admin' as const };
const range = { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-06-01T00:00:00Z') };

type Row = KeysetPosition;
const after = (r: Row, p: KeysetPosition | null) => !p || r.key > p.key || (r.key === p.key && r.id > p.id);
const upTo = (r: Row, p: KeysetPosition | null) => !p || r.key < p.key || (r.key === p.key && r.id <= p.id);

/** The port over sorted rows; `onCall` runs before each call (to commit orders meanwhile). */
function memoryStore(rows: Row[], onCall: (n: number) => void = () => undefined) {
  let calls = 0;
  const sorted = () => [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id - b.id));
  const store: Pick<OrderSearchPort, 'exportBatch' | 'exportBounds'> = {
    async exportBatch(args): Promise<ExportBatch> {
      onCall(++calls);
      await new Promise((r) => setTimeout(r, 1));
      const picked = sorted().filter((r) => after(r, args.after) && upTo(r, args.until)).slice(0, args.limit);
      return { rows: picked.length, data: picked.map((r) => `${r.id}\n`).join(''), last: picked.at(-1) ?? null };
    },
    async exportBounds(args) {
      onCall(++calls);
      const rest = sorted().filter((r) => after(r, args.after));
      return Array.from({ length: Math.min(args.count, Math.floor(rest.length / args.every)) }, (_, i) => rest[(i + 1) * args.every - 1]!);
    },
  };
  return { store: store as OrderSearchPort, calls: () => calls };
}

async function exported(store: OrderSearchPort, batchSize: number, signal = new AbortController().signal): Promise<number[]> {
  const ids: number[] = [];
  for await (const batch of createExportOrders({ store, batchSize })(admin, range).batches('csv', signal)) {
    const lines = String(batch.data).split('\n').slice(0, -1);
    expect(lines).toHaveLength(batch.rows);
    ids.push(...lines.map(Number));
  }
  return ids;
}

const rowsArb = fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 120 }).map((keys) => keys.map((k, i) => ({ key: `2026-05-${String(1 + (k % 28)).padStart(2, '0')}T${String(k).padStart(6, '0')}`, id: i + 1 })));

test('every order once, in created_at then id order, for any number of orders, batch size and ties', async () => {
  await fc.assert(
    fc.asyncProperty(rowsArb, fc.integer({ min: 1, max: 12 }), async (rows, batchSize) => {
      const want = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id - b.id)).map((r) => r.id);
      expect(await exported(memoryStore(rows).store, batchSize)).toEqual(want);
    }),
    { numRuns: 150 },
  );
});

test('orders committed into a range already cut, more than a batch of them, are still exported, in order', async () => {
  const rows: Row[] = Array.from({ length: 40 }, (_, i) => ({ key: `k${String(i).padStart(3, '0')}`, id: i + 1 }));
  // right after the first cuts are looked up, 25 orders land in the first range (batches of 10)
  const { store } = memoryStore(rows, (n) => {
    if (n === 2) for (let i = 0; i < 25; i++) rows.push({ key: 'k003', id: 100 + i });
  });
  const ids = await exported(store, 10);
  expect(ids).toEqual([...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id - b.id)).map((r) => r.id));
  expect(ids).toHaveLength(65);
});

test('after the signal aborts, no further statement starts', async () => {
  const rows: Row[] = Array.from({ length: 500 }, (_, i) => ({ key: `k${String(i).padStart(4, '0')}`, id: i + 1 }));
  const stop = new AbortController();
  const { store, calls } = memoryStore(rows);
  const batches = createExportOrders({ store, batchSize: 10 })(admin, range).batches('csv', stop.signal);
  await batches.next();
  await batches.next();
  stop.abort();
  const atAbort = calls();
  // what was already reading ahead finishes unseen; nothing new is asked for
  expect((await batches.next()).done).toBe(true);
  expect(calls()).toBe(atAbort);
});

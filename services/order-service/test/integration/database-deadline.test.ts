// A statement past DB_QUERY_TIMEOUT_MS closes its connection (src/data/database.ts): what follows it
// — the transaction's ROLLBACK, the next request the pool lends the connection to — does not wait
// for a statement still running on the server (or queued in a pooler that cannot log in).
import { QueryTypes } from 'sequelize';
import { createDatabase } from '../../src/data/database.js';
import { TEST_DATABASE_URL } from '../support/db.js';

const DEADLINE_MS = 1000;
const db = createDatabase({ url: TEST_DATABASE_URL, poolMax: 1, queryTimeoutMs: DEADLINE_MS });
afterAll(() => db.close());

const timed = async <T>(work: () => Promise<T>) => {
  const started = performance.now();
  const result = await work().then((value) => ({ value }), (error: Error) => ({ error }));
  return { ...result, ms: performance.now() - started };
};

test('after a statement passes its deadline, the pool\'s next statement runs at once on another connection', async () => {
  const [{ pid }] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', { type: QueryTypes.SELECT }) as [{ pid: number }];
  const slow = await timed(() => db.query('SELECT pg_sleep(5)'));
  expect(slow).toMatchObject({ error: expect.objectContaining({ message: expect.stringMatching(/Query read timeout/) }) });
  expect(slow.ms).toBeLessThan(DEADLINE_MS + 1000);
  // one connection in the pool: the same one would first wait out the 5 s sleep
  const next = await timed(() => db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', { type: QueryTypes.SELECT }));
  expect(next.ms).toBeLessThan(1500);
  expect(next).toMatchObject({ value: [{ pid: expect.any(Number) }] });
  expect((next as { value: Array<{ pid: number }> }).value[0]!.pid).not.toBe(pid);
});

test('a transaction whose statement passes its deadline ends within that one deadline: its ROLLBACK does not wait a second one', async () => {
  const run = await timed(() => db.transaction(async (transaction) => db.query('SELECT pg_sleep(5)', { transaction })));
  expect('error' in run).toBe(true);
  // kept open, the connection would hold the ROLLBACK behind the sleep until its own deadline: 2 s
  expect(run.ms).toBeLessThan(DEADLINE_MS + 600);
});

// Readiness tells the truth about migrations: a service started with MIGRATE_ON_START=false on a
// database that lacks them is not ready and says how to apply them; once they are applied by
// someone else (npm run migrate, the chart's init container) it becomes ready without a restart.
import { createDatabase } from '../../src/data/database.js';
import { runMigrations } from '../../src/data/migrate.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ env: { MIGRATE_ON_START: 'false' } });
});
afterAll(async () => {
  await svc.stop();
});

async function readiness(): Promise<{ status: number; migrations: unknown }> {
  const r = await fetch(`${svc.url}/health/ready`);
  const body = (await r.json()) as { checks?: { migrations?: unknown } };
  return { status: r.status, migrations: body.checks?.migrations };
}

test('pending migrations: not ready, one log line naming them and how to apply them; ready once applied', async () => {
  expect(await readiness()).toEqual({ status: 503, migrations: 'pending' });
  const warning = svc.logText().split('\n').find((l) => l.includes('migration(s) pending'));
  expect(warning).toMatch(/npm run migrate/);
  expect(JSON.parse(warning!).pending).toContain('0001-orders');

  const db = createDatabase({ url: svc.config.databaseUrl, poolMax: 1 });
  try {
    await runMigrations(db);
  } finally {
    await db.close();
  }
  const deadline = Date.now() + 15_000;
  let now = await readiness();
  while (now.migrations !== 'applied' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    now = await readiness();
  }
  expect(now.migrations).toBe('applied');
  expect(svc.logText()).toMatch(/migrations applied: ready/);
});

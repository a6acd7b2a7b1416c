// `npm start` does what the environment says: an operator's configuration runs the configured
// service (or one line saying what is missing), never a silent embedded stack; a second
// development stack on the same data directory is refused before it touches the data; and a stack
// that cannot take its port leaves no sidecar behind.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/net.js';
import { createTokens } from '../support/tokens.js';

const launcher = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/dev/start.js');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function launch(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'orders-start-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [launcher], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { dir, child, output: () => out };
}

test('ENVIRONMENT=production with nothing else: one line naming what is missing, exit 1, no embedded database', async () => {
  const { dir, child, output } = launch({ ENVIRONMENT: 'production' });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(1);
  expect(output()).toMatch(/configured service, not the embedded development stack/);
  expect(output()).toMatch(/missing DATABASE_URL, SECRET_KEY, REDIS_URL \(required in production\)/);
  expect(existsSync(join(dir, '.data'))).toBe(false);
});

describe('with a DATABASE_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  test('the configured service runs with the given key: a token signed with it is accepted', async () => {
    const secretKey = `operator-key-${'x'.repeat(32)}`;
    const port = await freePort();
    const { dir, child, output } = launch({ DATABASE_URL: db.url, SECRET_KEY: secretKey, SERVICE_HOST: '127.0.0.1', SERVICE_PORT: String(port), SHUTDOWN_DELAY_SECONDS: '0' });
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      let answer: Response | null = null;
      const token = await createTokens(secretKey).user(5);
      while (!answer && Date.now() < deadline && child.exitCode === null) {
        answer = await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
        if (!answer) await new Promise((r) => setTimeout(r, 200));
      }
      expect(answer?.status).toBe(200);
      expect(output()).not.toMatch(/USER_TOKEN/); // no development tokens from another key
      expect(existsSync(join(dir, '.data'))).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }, 60_000);
});

test('a second development stack on the same data directory is refused with one line', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orders-data-'));
  dirs.push(dataDir);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'npm-start.pid'), String(process.pid)); // this test process stands for the first stack
  const { child, output } = launch({ DEV_DATA_DIR: dataDir });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(1);
  expect(output()).toContain(`another development stack (pid ${process.pid}) is using ${dataDir}`);
  expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
});

test('a development stack whose service port is taken fails with one line and leaves no sidecar holding its port', async () => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const sidecarPort = await freePort();
  try {
    const { child, output } = launch({ SERVICE_PORT: String((taken.address() as AddressInfo).port), SIDECAR_PORT: String(sidecarPort) });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output()).toMatch(/development start failed: EADDRINUSE/);
    // the sidecar's port is free again: a listener can take it
    const probe = createServer().listen(sidecarPort, '127.0.0.1');
    await once(probe, 'listening');
    probe.close();
  } finally {
    taken.close();
  }
}, 60_000);

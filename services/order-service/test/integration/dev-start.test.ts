// `npm start` as a newcomer runs it: the built launcher on embedded defaults, then an order
// created and read with the printed token, and the sidecar's view at /health/connectivity.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/net.js';

const launcher = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/dev/start.js');


test('npm start runs on embedded defaults and a printed token creates and reads an order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orders-dev-'));
  const [servicePort, sidecarPort] = [await freePort(), await freePort()];
  // only what a fresh shell has: no database, no Redis, no peers configured
  const child = spawn(process.execPath, [launcher], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, SERVICE_PORT: String(servicePort), SIDECAR_PORT: String(sidecarPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('export ADMIN_TOKEN=')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`launcher did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 200));
    const token = /export USER_TOKEN=(\S+)/.exec(out)![1]!;
    const admin = /export ADMIN_TOKEN=(\S+)/.exec(out)![1]!;
    const url = `http://127.0.0.1:${servicePort}`;
    expect(out).toContain(`curl -s -X POST ${url}/orders`);
    const body = { items: [{ product_id: 7, quantity: 2 }], shipping_address: { address: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' } };
    const created = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: number; total_amount: string };
    expect(order.total_amount).toBe('53.98'); // 2 × 19.99 + 10 % tax + 10.00 shipping
    // the printed blocked shopper's token verifies, but the user stand-in says the account is blocked
    const blocked = /export BLOCKED_TOKEN=(\S+)/.exec(out)![1]!;
    const refused = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${blocked}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { type: string }).type).toMatch(/\/account-blocked$/);
    const mine = (await (await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{ id: number }>;
    expect(mine.map((o) => o.id)).toContain(order.id);
    const stats = (await (await fetch(`${url}/admin/orders/stats`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { total_orders: number };
    expect(stats.total_orders).toBeGreaterThanOrEqual(1);
    // the trends and the export on the embedded database too: the order is in a point and in the file
    const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const [from, to] = [day(-1), day(1)]; // today in every zone
    const adminGet = (path: string, accept = 'application/json') => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${admin}`, accept } });
    for (const tz of ['UTC', 'Asia/Kolkata']) {
      const series = (await (await adminGet(`/admin/orders/stats/series?from=${from}&to=${to}&tz=${tz}`)).json()) as { points: Array<{ total_orders: number }> };
      expect(series.points.reduce((n, p) => n + p.total_orders, 0)).toBeGreaterThanOrEqual(1);
    }
    const csv = await (await adminGet(`/admin/orders/export?from=${from}&to=${to}`, 'text/csv')).text();
    expect(csv.split('\r\n').some((line) => line.startsWith(`${order.id},`) && line.endsWith(',1'))).toBe(true);
    // the sidecar's first probes may still be running (or queued behind PGlite's one session): wait for them
    const postgresStatus = async () => {
      const r = await fetch(`${url}/health/connectivity`);
      return r.status === 200 ? ((await r.json()) as { connectivity: Record<string, { status: string }> }).connectivity.postgres?.status : `http ${r.status}`;
    };
    let status = await postgresStatus();
    for (let i = 0; i < 100 && status !== 'connected'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = await postgresStatus();
    }
    expect(status).toBe('connected');
    expect(out).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}/i); // no public address anywhere
  } finally {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  }
}, 90_000);

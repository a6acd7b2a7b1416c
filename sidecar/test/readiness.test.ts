// Readiness within one interval: with the chart's 15 s interval and default thresholds, a PostgreSQL
// of the test's own is killed and the sidecar (directly, and through PgBouncer in transaction mode
// over TLS) must report it unhealthy within 15 s, and ready again seconds after it returns. The
// service's own reader reads the same results and must derive the same readiness.
import { createHealthReader, type HealthReader } from '../../services/order-service/src/health/reader.js';
import { loadSidecarConfig } from '../src/config.js';
import { startSidecar } from '../src/main.js';
import type { Snapshot } from '../src/results.js';
import { criticalCadence } from '../src/scheduler.js';
import { captureLogs } from './support/logs.js';
import { until } from '../../services/order-service/test/resilience/support/harness.js';
import { startPgBouncer, type PgBouncer } from '../../services/order-service/test/resilience/support/pooled-stack.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../services/order-service/test/resilience/support/throwaway-postgres.js';
import { makeTestCertificates, type TestCertificates } from '../../services/order-service/test/support/tls.js';

const PASSWORD = 'canary-Readiness-7f3a';

describe('the critical dependency is re-probed quickly (fastinter)', () => {
  test('the chart\'s values (15 s interval, 5 s timeout, 2 s fast, 3 failures) leave a 5 s steady interval and a 15 s bound', () => {
    const env = { DATABASE_URL: 'postgres://u@db.example/x', PROBE_INTERVAL_SECONDS: '15' };
    const config = loadSidecarConfig(env);
    const pg = config.dependencies.find((d) => d.name === 'postgres')!;
    expect(config.fastIntervalMs).toBe(2000);
    expect(criticalCadence(pg, config.fastIntervalMs, config.failureThreshold)).toEqual({ steadyMs: 5000, fastMs: 2000, boundMs: 15000 });
    // a timeout that leaves no room: probed at the fast interval, and the bound says how long it really is
    expect(criticalCadence({ intervalMs: 15000, timeoutMs: 14000 }, 2000, 3)).toEqual({ steadyMs: 2000, fastMs: 2000, boundMs: 21000 });
    expect(() => loadSidecarConfig({ ...env, PROBE_FAST_INTERVAL_SECONDS: '0' })).toThrow(/PROBE_FAST_INTERVAL_SECONDS must be a positive number/);
    expect(() => loadSidecarConfig({ ...env, PROBE_FAST_INTERVAL_SECONDS: 'soon' })).toThrow(/PROBE_FAST_INTERVAL_SECONDS must be a non-negative number/);
    expect(loadSidecarConfig({ ...env, PROBE_FAST_INTERVAL_SECONDS: '0.5' }).fastIntervalMs).toBe(500);
  });

  describe('against a PostgreSQL that dies', () => {
    let certs: TestCertificates;
    let db: ThrowawayPostgres;
    let bouncer: PgBouncer;

    beforeAll(async () => {
      certs = await makeTestCertificates();
      db = await startThrowawayPostgres(PASSWORD, { ssl: certs, listen: ['127.0.0.1', '127.0.0.2'] });
      bouncer = await startPgBouncer({ serverPort: db.port, password: PASSWORD, certs, loginRetrySeconds: 1 });
    }, 60_000);

    afterAll(async () => {
      await bouncer?.stop();
      await db?.destroy();
      certs?.remove();
    });

    /** The results as served, checked against what the service's reader derives from the same version. */
    async function observe(url: string, reader: HealthReader): Promise<Snapshot> {
      for (let attempt = 0; ; attempt++) {
        const before = (await (await fetch(`${url}/v1/results`)).json()) as Snapshot;
        const view = await reader.read();
        const after = (await (await fetch(`${url}/v1/results`)).json()) as Snapshot;
        // a probe landed in between: compare at a quiet moment (probes are seconds apart)
        if (before.version !== after.version && attempt < 20) continue;
        expect({ ready: view.criticalOk, status: view.dependencies.postgres!.status }).toEqual({ ready: after.ready, status: after.dependencies.postgres!.status });
        return after;
      }
    }

    test('unhealthy within 15 s of its death (directly and through PgBouncer), ready again within seconds of its return', async () => {
      const base = { SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: '0', LOG_LEVEL: 'INFO', PROBE_INTERVAL_SECONDS: '15', DATABASE_CA_FILE: certs.caFile };
      const logs = { direct: captureLogs(), pooled: captureLogs() };
      const urls = {
        direct: db.urlWith({ query: 'sslmode=verify-full' }),
        pooled: `postgres://postgres:${PASSWORD}@127.0.0.1:${bouncer.port}/postgres?sslmode=require`,
      };
      // started together, so that the kill below comes right after both first probes: the worst phase
      const [direct, pooled] = await Promise.all(
        (['direct', 'pooled'] as const).map((k) => startSidecar(loadSidecarConfig({ ...base, DATABASE_URL: urls[k] }), { logDestination: logs[k].stream })),
      );
      const readers = { direct: createHealthReader({ sidecarUrl: direct!.url, maxAgeMs: 0 }), pooled: createHealthReader({ sidecarUrl: pooled!.url, maxAgeMs: 0 }) };
      const sidecars = { direct: direct!, pooled: pooled! };
      try {
        for (const k of ['direct', 'pooled'] as const) {
          expect(await observe(sidecars[k].url, readers[k])).toMatchObject({ ready: true, dependencies: { postgres: { status: 'connected' } } });
        }
        const diedAt = Date.now();
        await db.stop('immediate');
        const downAfter: Record<string, number> = {};
        const last: Record<string, Snapshot> = {};
        await until(
          async () => {
            for (const k of ['direct', 'pooled'] as const) {
              if (downAfter[k] !== undefined) continue;
              const snap = await observe(sidecars[k].url, readers[k]);
              if (!snap.ready) {
                downAfter[k] = Date.now() - diedAt;
                last[k] = snap;
              }
            }
            return Object.keys(downAfter).length === 2;
          },
          25_000,
          'both sidecars report PostgreSQL unhealthy',
        );
        process.stdout.write(`PostgreSQL killed → not ready: directly ${downAfter.direct} ms, through PgBouncer ${downAfter.pooled} ms\n`);
        expect(downAfter.direct).toBeLessThanOrEqual(15_000);
        expect(downAfter.pooled).toBeLessThanOrEqual(15_000);
        // the results say why, in the bounded words: a refused connection, PgBouncer's 08P01
        expect(last.direct!.dependencies.postgres).toMatchObject({ status: 'failed', reason: 'connect', stale: false });
        expect(last.pooled!.dependencies.postgres).toMatchObject({ status: 'failed', reason: 'connect', stale: false });
        expect(last.direct!.dependencies.postgres!.consecutive_failures).toBeGreaterThanOrEqual(3);

        const restartedAt = Date.now();
        await db.start();
        const upAfter: Record<string, number> = {};
        await until(
          async () => {
            for (const k of ['direct', 'pooled'] as const) {
              if (upAfter[k] === undefined && (await observe(sidecars[k].url, readers[k])).ready) upAfter[k] = Date.now() - restartedAt;
            }
            return Object.keys(upAfter).length === 2;
          },
          15_000,
          'both sidecars report PostgreSQL ready again',
        );
        process.stdout.write(`PostgreSQL restarted → ready: directly ${upAfter.direct} ms, through PgBouncer ${upAfter.pooled} ms\n`);
        // two successes two seconds apart (and PgBouncer's 1 s login retry): seconds, not two 15 s intervals
        expect(upAfter.direct).toBeLessThanOrEqual(6_000);
        expect(upAfter.pooled).toBeLessThanOrEqual(7_000);

        // the log lines name the cause: the refused connection, PgBouncer's SQLSTATE with its name, where
        const pooledFailures = logs.pooled.lines().filter((l) => l.message !== undefined && String(l.message).startsWith('postgres probe failed'));
        expect(pooledFailures.some((l) => l.sqlstate === '08P01' && l.sqlstate_name === 'protocol_violation' && l.target === `127.0.0.1:${bouncer.port}` && l.database === 'postgres')).toBe(true);
        expect(logs.pooled.text()).toContain('08P01 protocol_violation: server login has been failing');
        expect(logs.direct.text()).toMatch(/"code":"ECONNREFUSED"/);
        expect(logs.direct.text()).toContain(`127.0.0.1:${db.port}`);
        for (const k of ['direct', 'pooled'] as const) {
          expect(logs[k].text()).toContain('postgres unhealthy: not ready');
          expect(logs[k].text()).toContain('postgres healthy again: ready');
          expect(logs[k].text()).not.toContain(PASSWORD);
        }
      } finally {
        await Promise.all([sidecars.direct.stop(), sidecars.pooled.stop()]);
      }
    }, 60_000);
  });
});

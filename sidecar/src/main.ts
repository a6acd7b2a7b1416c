// The health sidecar: probes the dependencies on an interval, serves the latest results and
// metrics, and keeps the pod's readiness-gate condition in step. SIGTERM stops it promptly.

import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { loadSidecarConfig, SidecarConfigError, type SidecarConfig } from './config.js';
import { conditionFor, createPodCondition } from './kube.js';
import { createSidecarMetrics } from './metrics.js';
import { buildSnapshot, type Snapshot } from './results.js';
import { redact } from './outcomes.js';
import { createScheduler, criticalCadence, type Probe } from './scheduler.js';
import { createSidecarServer } from './server.js';
import { createSidecarLogger } from './log.js';

export async function startSidecar(
  config: SidecarConfig,
  overrides: { probe?: Probe; kube?: Parameters<typeof createPodCondition>[0]['kubeConfig']; env?: NodeJS.ProcessEnv; logDestination?: pino.DestinationStream } = {},
) {
  const log = createSidecarLogger({ level: config.logLevel, version: config.version, destination: overrides.logDestination });
  const metrics = createSidecarMetrics(config.version);
  let version = 0;
  const condition = await createPodCondition({ ...config.kube, kubeConfig: overrides.kube }, { metrics, log, env: overrides.env });
  const scheduler = createScheduler(config, {
    metrics,
    log,
    ...(overrides.probe ? { probe: overrides.probe } : {}),
    onChange: () => {
      version += 1;
      const snap = snapshot();
      const pg = snap.dependencies.postgres!;
      void condition.sync(conditionFor(snap.ready, pg.status, pg.stale));
    },
  });
  const snapshot = (): Snapshot => buildSnapshot(scheduler.states.values(), version);

  const server = createSidecarServer({ snapshot, registry: metrics.registry, alive: scheduler.alive });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address() as { port: number };
  const started = performance.now();
  await scheduler.firstRound();
  const critical = config.dependencies.find((d) => d.critical && d.target);
  const cadence = critical ? criticalCadence(critical, config.fastIntervalMs, config.failureThreshold) : null;
  log.info(
    {
      port: address.port,
      first_round_ms: Math.round(performance.now() - started),
      ready: snapshot().ready,
      // the critical dependency's cadence: what bounds the time from its death to not ready
      ...(cadence
        ? {
            critical_probe: {
              interval_ms: cadence.steadyMs,
              fast_interval_ms: cadence.fastMs,
              failure_threshold: config.failureThreshold,
              recovery_threshold: config.recoveryThreshold,
              unhealthy_within_ms: cadence.boundMs,
            },
          }
        : {}),
    },
    'health sidecar started',
  );
  scheduler.start();

  return {
    url: `http://127.0.0.1:${address.port}`,
    scheduler,
    snapshot,
    stop: async () => {
      scheduler.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The cause of a failed start in one line: the port already taken says so with its port. */
export function startFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e.code === 'EADDRINUSE') return `EADDRINUSE: port ${e.port} on ${e.address} is already in use (SIDECAR_PORT, SIDECAR_HOST)`;
  if (e.code === 'EACCES' && e.syscall === 'listen') return `EACCES: not allowed to listen on port ${e.port} of ${e.address} (SIDECAR_PORT)`;
  return redact(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const sidecar = await startSidecar(loadSidecarConfig());
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void sidecar.stop().finally(() => process.exit(0));
      });
    }
  } catch (err) {
    process.stderr.write(`${err instanceof SidecarConfigError ? err.message : `health sidecar failed to start: ${startFailure(err)}`}\n`);
    process.exit(1);
  }
}

// Probes every dependency on its own interval (with jitter), concurrently, never two probes of
// one target at once; keeps the latest results with the critical dependency's hysteresis. The
// critical dependency is re-probed quickly while failing or unhealthy (HAProxy's fastinter), and
// often enough otherwise that a dead database is unhealthy within one interval.

import type { DependencyConfig, SidecarConfig } from './config.js';
import type { SidecarMetrics } from './metrics.js';
import { createOutcomeRecorder, type Log } from './outcomes.js';
import { probeHttp } from './probes/http.js';
import { probePostgres } from './probes/postgres.js';
import { probeRedis } from './probes/redis.js';
import type { ProbeOutcome } from './probes/types.js';

export type Probe = (dep: DependencyConfig) => Promise<ProbeOutcome>;

export interface DependencyState {
  config: DependencyConfig;
  outcome: ProbeOutcome | null;
  lastProbeAt: Date | null;
  lastSuccessAt: Date | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** for the critical dependency: up after hysteresis (null before the first probe) */
  healthy: boolean | null;
  inFlight: boolean;
}

export const defaultProbe: Probe = (dep) => {
  if (!dep.target) return Promise.resolve({ status: 'not_configured', reason: null, responseTimeMs: null });
  if (dep.kind === 'database') return probePostgres(dep.target, dep.timeoutMs, dep.ca?.file ?? null);
  if (dep.kind === 'cache') return probeRedis(dep.target, dep.timeoutMs, dep.ca?.pem ?? null);
  return probeHttp(dep.target, dep.timeoutMs, dep.healthyStatus);
};

/** Time allowed for the quickly failing re-probes themselves and timer lateness (a refused connection answers in milliseconds). */
const PROBE_ALLOWANCE_MS = 1000;

/** While healthy, probed so that a first failure at its full timeout (a pooler holds the first login after its server died) and N−1 fast re-probes fit in one interval. */
export function criticalCadence(dep: { intervalMs: number; timeoutMs: number }, fastIntervalMs: number, failureThreshold: number) {
  const fastMs = Math.min(fastIntervalMs, dep.intervalMs);
  const confirmMs = dep.timeoutMs + (failureThreshold - 1) * fastMs + PROBE_ALLOWANCE_MS;
  const steadyMs = Math.max(fastMs, dep.intervalMs - confirmMs);
  return { steadyMs, fastMs, boundMs: steadyMs + confirmMs };
}

export function createScheduler(config: SidecarConfig, deps: { metrics: SidecarMetrics; probe?: Probe; onChange?: () => void; log?: Log }) {
  const probe = deps.probe ?? defaultProbe;
  const record = createOutcomeRecorder(config, deps);
  const states = new Map<string, DependencyState>(
    config.dependencies.map((c) => [
      c.name,
      { config: c, outcome: null, lastProbeAt: null, lastSuccessAt: null, consecutiveFailures: 0, consecutiveSuccesses: 0, healthy: null, inFlight: false },
    ]),
  );
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let lastTickAt = Date.now();

  async function probeOne(s: DependencyState): Promise<void> {
    if (s.inFlight) return; // single-flight
    s.inFlight = true;
    try {
      record(s, slowIsWarning(await probe(s.config).catch(failedOutcome), s.config.timeoutMs * config.slowRatio));
    } finally {
      s.inFlight = false;
      lastTickAt = Date.now();
    }
  }

  function schedule(s: DependencyState): void {
    if (stopped || !s.config.target) return;
    const timer = setTimeout(() => {
      void probeOne(s).finally(() => schedule(s));
    }, delayOf(s, config));
    timer.unref();
    timers.set(s.config.name, timer);
  }

  return {
    states,
    /** the start-up round: every dependency at once, done in about the slowest probe */
    async firstRound(): Promise<void> {
      await Promise.all([...states.values()].map((s) => probeOne(s)));
    },
    start(): void {
      stopped = false;
      for (const s of states.values()) schedule(s);
    },
    stop(): void {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
    },
    /** the loop is alive when some probe finished within three of the shortest intervals */
    alive(): boolean {
      const intervals = [...states.values()].filter((s) => s.config.target).map((s) => s.config.intervalMs);
      if (intervals.length === 0) return true;
      return Date.now() - lastTickAt < 3 * Math.min(...intervals) + Math.max(...[...states.values()].map((s) => s.config.timeoutMs));
    },
    probeOne: (name: string) => probeOne(states.get(name)!),
  };
}

function failedOutcome(err: unknown): ProbeOutcome {
  return { status: 'failed', reason: 'protocol', responseTimeMs: null, error: String((err as Error).message) };
}

/** Answered, but slowly: a warning. */
function slowIsWarning(outcome: ProbeOutcome, slowMs: number): ProbeOutcome {
  return outcome.status === 'connected' && outcome.responseTimeMs !== null && outcome.responseTimeMs > slowMs ? { ...outcome, status: 'warning' } : outcome;
}

/** The next probe's delay; the critical dependency's jitter only shortens it, so its bound holds. */
function delayOf(s: DependencyState, config: SidecarConfig): number {
  const c = s.config;
  if (!c.critical) return c.intervalMs * (1 + (Math.random() * 2 - 1) * config.jitterRatio);
  const shorter = (ms: number) => ms * (1 - Math.random() * config.jitterRatio);
  const cadence = criticalCadence(c, config.fastIntervalMs, config.failureThreshold);
  // failing (confirming a failure) or unhealthy (confirming recovery): fastinter
  return shorter(s.healthy !== true || s.consecutiveFailures > 0 ? cadence.fastMs : cadence.steadyMs);
}

export type Scheduler = ReturnType<typeof createScheduler>;

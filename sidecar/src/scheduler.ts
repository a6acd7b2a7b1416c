// Probes every dependency on its own interval (with jitter), concurrently, never two probes of
// one target at once; keeps the latest results with the critical dependency's hysteresis.

import type { DependencyConfig, SidecarConfig } from './config.js';
import type { SidecarMetrics } from './metrics.js';
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
  if (dep.kind === 'database') return probePostgres(dep.target, dep.timeoutMs);
  if (dep.kind === 'cache') return probeRedis(dep.target, dep.timeoutMs);
  return probeHttp(dep.target, dep.timeoutMs);
};

export function createScheduler(
  config: SidecarConfig,
  deps: { metrics: SidecarMetrics; probe?: Probe; onChange?: () => void; log?: { warn(o: object, m?: string): void } },
) {
  const probe = deps.probe ?? defaultProbe;
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
      let outcome = await probe(s.config).catch((err: unknown) => ({
        status: 'failed' as const,
        reason: 'protocol' as const,
        responseTimeMs: null,
        error: String((err as Error).message),
      }));
      // answered, but slowly: a warning
      if (outcome.status === 'connected' && outcome.responseTimeMs !== null && outcome.responseTimeMs > s.config.timeoutMs * config.slowRatio) {
        outcome = { ...outcome, status: 'warning' };
      }
      record(s, outcome);
    } finally {
      s.inFlight = false;
      lastTickAt = Date.now();
    }
  }

  function record(s: DependencyState, outcome: ProbeOutcome): void {
    const now = new Date();
    const ok = outcome.status === 'connected' || outcome.status === 'warning';
    s.outcome = outcome;
    if (outcome.status !== 'not_configured') s.lastProbeAt = now;
    if (ok) {
      s.lastSuccessAt = now;
      s.consecutiveSuccesses += 1;
      s.consecutiveFailures = 0;
    } else if (outcome.status !== 'not_configured') {
      s.consecutiveFailures += 1;
      s.consecutiveSuccesses = 0;
    }
    if (s.config.critical) {
      if (s.healthy === null) s.healthy = ok;
      else if (s.healthy && s.consecutiveFailures >= config.failureThreshold) s.healthy = false;
      else if (!s.healthy && s.consecutiveSuccesses >= config.recoveryThreshold) s.healthy = true;
    }
    if (outcome.error) deps.log?.warn({ dependency: s.config.name, reason: outcome.reason, error: redact(outcome.error) }, 'probe failed');
    const m = deps.metrics;
    const name = s.config.name;
    if (outcome.status !== 'not_configured') {
      m.up.set({ dependency: name, kind: s.config.kind }, ok ? 1 : 0);
      m.probes.inc({ dependency: name, result: outcome.status });
      if (!ok && outcome.reason) m.failures.inc({ dependency: name, reason: outcome.reason });
      if (outcome.responseTimeMs !== null) m.duration.observe({ dependency: name }, outcome.responseTimeMs / 1000);
      m.lastProbe.set({ dependency: name }, now.getTime() / 1000);
      if (s.lastSuccessAt) m.lastSuccess.set({ dependency: name }, s.lastSuccessAt.getTime() / 1000);
    }
    deps.onChange?.();
  }

  function schedule(s: DependencyState): void {
    if (stopped || !s.config.target) return;
    const jitter = 1 + (Math.random() * 2 - 1) * config.jitterRatio;
    const timer = setTimeout(() => {
      void probeOne(s).finally(() => schedule(s));
    }, s.config.intervalMs * jitter);
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

/** Error text may carry a URL with a password: keep the logs clean. */
export function redact(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]+@/g, '$1***@');
}

export type Scheduler = ReturnType<typeof createScheduler>;

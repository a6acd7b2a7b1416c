// What one probe's outcome changes: the dependency's counters, the critical dependency's verdict
// after hysteresis, one log line per cause and interval, and the probe metrics.

import type { SidecarConfig } from './config.js';
import type { SidecarMetrics } from './metrics.js';
import type { ProbeOutcome } from './probes/types.js';
import type { DependencyState } from './scheduler.js';

export interface Log {
  warn(o: object, m?: string): void;
  info(o: object, m?: string): void;
}

/** Error text may carry a URL with a password: keep the logs clean. */
export function redact(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]+@/g, '$1***@');
}

const isOk = (outcome: ProbeOutcome) => outcome.status === 'connected' || outcome.status === 'warning';

function count(s: DependencyState, outcome: ProbeOutcome, now: Date): void {
  s.outcome = outcome;
  if (outcome.status === 'not_configured') return;
  s.lastProbeAt = now;
  if (isOk(outcome)) {
    s.lastSuccessAt = now;
    s.consecutiveSuccesses += 1;
    s.consecutiveFailures = 0;
  } else {
    s.consecutiveFailures += 1;
    s.consecutiveSuccesses = 0;
  }
}

function judge(s: DependencyState, ok: boolean, config: Pick<SidecarConfig, 'failureThreshold' | 'recoveryThreshold'>): void {
  if (!s.config.critical) return;
  if (s.healthy === null) s.healthy = ok;
  else if (s.healthy && s.consecutiveFailures >= config.failureThreshold) s.healthy = false;
  else if (!s.healthy && s.consecutiveSuccesses >= config.recoveryThreshold) s.healthy = true;
}

function measure(m: SidecarMetrics, s: DependencyState, outcome: ProbeOutcome, now: Date): void {
  if (outcome.status === 'not_configured') return;
  const name = s.config.name;
  const ok = isOk(outcome);
  m.up.set({ dependency: name, kind: s.config.kind }, ok ? 1 : 0);
  m.probes.inc({ dependency: name, result: outcome.status });
  if (!ok && outcome.reason) m.failures.inc({ dependency: name, reason: outcome.reason });
  if (outcome.responseTimeMs !== null) m.duration.observe({ dependency: name }, outcome.responseTimeMs / 1000);
  m.lastProbe.set({ dependency: name }, now.getTime() / 1000);
  if (s.lastSuccessAt) m.lastSuccess.set({ dependency: name }, s.lastSuccessAt.getTime() / 1000);
}

export function createOutcomeRecorder(config: SidecarConfig, deps: { metrics: SidecarMetrics; onChange?: () => void; log?: Log }) {
  // the last failure logged per dependency: a cause repeated by fast re-probes is logged once an interval
  const logged = new Map<string, { error: string; at: number }>();

  function logFailure(s: DependencyState, outcome: ProbeOutcome, now: Date): void {
    const name = s.config.name;
    if (!outcome.error) {
      if (isOk(outcome)) logged.delete(name);
      return;
    }
    const error = redact(outcome.error);
    const last = logged.get(name);
    if (last && last.error === error && now.getTime() - last.at < s.config.intervalMs) return;
    logged.set(name, { error, at: now.getTime() });
    const cause = Object.fromEntries(Object.entries(outcome.cause ?? {}).map(([k, v]) => [k, redact(v)]));
    deps.log?.warn({ dependency: name, reason: outcome.reason, ...cause, consecutive_failures: s.consecutiveFailures, error }, `${name} probe failed: ${error}`);
  }

  function logTransition(s: DependencyState, before: boolean | null, outcome: ProbeOutcome): void {
    const name = s.config.name;
    if (!s.config.critical || s.healthy === before || (before === null && s.healthy)) return;
    if (s.healthy) deps.log?.info({ dependency: name, consecutive_successes: s.consecutiveSuccesses }, `${name} healthy again: ready`);
    else deps.log?.warn({ dependency: name, consecutive_failures: s.consecutiveFailures, reason: outcome.reason }, `${name} unhealthy: not ready`);
  }

  return (s: DependencyState, outcome: ProbeOutcome): void => {
    const now = new Date();
    const before = s.healthy;
    count(s, outcome, now);
    judge(s, isOk(outcome), config);
    logFailure(s, outcome, now);
    logTransition(s, before, outcome);
    measure(deps.metrics, s, outcome, now);
    deps.onChange?.();
  };
}

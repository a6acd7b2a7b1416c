// Keeps the pod's readiness-gate condition in step with the critical dependency: a strategic merge
// patch on pods/{name}/status (with the pod's UID as precondition) only when the status or reason
// changes, and a Kubernetes Event on each transition. Never writes `Ready` itself.

// @kubernetes/client-node loads every model and auth provider: only when the condition is on (in a cluster)
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { SidecarMetrics } from './metrics.js';

export interface ConditionState {
  ready: boolean;
  /** UpperCamelCase, e.g. DependenciesReady, PostgresUnavailable */
  reason: string;
  message: string;
}

export interface PodCondition {
  sync(state: ConditionState): Promise<void>;
}

interface Log {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

type PodConditionOptions = { conditionType: string; podName: string | null; namespace: string | null; podUid: string | null; kubeConfig?: KubeConfig };
type PodConditionDeps = { metrics: SidecarMetrics; log: Log; env?: NodeJS.ProcessEnv };
type Pod = { name: string; namespace: string; uid: string | null };

/** Outside a cluster (no in-cluster service host, no KUBECONFIG, no pod identity): off, said once. */
export async function createPodCondition(options: PodConditionOptions, deps: PodConditionDeps): Promise<PodCondition> {
  const env = deps.env ?? process.env;
  const inCluster = Boolean(env.KUBERNETES_SERVICE_HOST) || Boolean(env.KUBECONFIG) || Boolean(options.kubeConfig);
  if (!inCluster || !options.podName || !options.namespace) {
    deps.log.info({ condition: options.conditionType }, 'not in a cluster (or no POD_NAME/POD_NAMESPACE): pod condition updates are off');
    return { sync: async () => undefined };
  }
  const { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  const kc = options.kubeConfig ?? new KubeConfig();
  if (!options.kubeConfig) {
    if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) kc.loadFromCluster();
    else kc.loadFromDefault();
  }
  const core = kc.makeApiClient(CoreV1Api);
  const pod: Pod = { name: options.podName, namespace: options.namespace, uid: options.podUid };
  const failed = patchFailureReporter(deps, pod.name);
  // what was last sent (or is being sent): probes finishing together must not patch twice
  let last: { status: string; reason: string } | null = null;

  async function sync(state: ConditionState): Promise<void> {
    const status = state.ready ? 'True' : 'False';
    if (last && last.status === status && last.reason === state.reason) return; // only on change
    const previous = last;
    last = { status, reason: state.reason };
    const now = new Date().toISOString();
    const body: Record<string, unknown> = {
      status: { conditions: [{ type: options.conditionType, status, reason: state.reason, message: state.message, lastTransitionTime: now, lastProbeTime: now }] },
    };
    if (pod.uid) body.metadata = { uid: pod.uid };
    try {
      await core.patchNamespacedPodStatus({ name: pod.name, namespace: pod.namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
      deps.metrics.patches.inc({ result: 'ok' });
      deps.log.info({ condition: options.conditionType, status, reason: state.reason }, 'pod condition updated');
      // a transition, not the first report; an Event lost is logged, never retried
      if (previous) await recordEvent(core, pod, state).catch((err: unknown) => deps.log.warn({ ...kubeFailure(err), condition_reason: state.reason }, 'pod event not recorded'));
    } catch (err) {
      last = previous; // not applied: the next probe tries again
      failed(err);
    }
  }

  return { sync };
}

/** Counts and logs a failed patch: a missing pod and missing RBAC once each, anything else every time. */
function patchFailureReporter(deps: PodConditionDeps, podName: string): (err: unknown) => void {
  let forbiddenLogged = false;
  let notFoundLogged = false;
  return (err) => {
    const failure = kubeFailure(err);
    if (failure.status_code === 404) {
      deps.metrics.patches.inc({ result: 'not_found' }); // the pod is going away: nothing to keep in step
      if (!notFoundLogged) deps.log.info({ ...failure, pod: podName }, 'pod not found for its condition patch (going away?)');
      notFoundLogged = true;
      return;
    }
    if (failure.status_code === 403) {
      deps.metrics.patches.inc({ result: 'forbidden' });
      if (!forbiddenLogged) deps.log.warn({ ...failure, needs: 'Role rules: get pods; patch pods/status; create events' }, 'not allowed to patch the pod status (RBAC)');
      forbiddenLogged = true;
      return;
    }
    deps.metrics.patches.inc({ result: 'error' });
    deps.log.warn(failure, 'pod condition patch failed; retried on the next probe');
  };
}

async function recordEvent(core: CoreV1Api, pod: Pod, state: ConditionState): Promise<void> {
  const now = new Date();
  const { name, namespace } = pod;
  await core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { kind: 'Pod', name, namespace, ...(pod.uid ? { uid: pod.uid } : {}), apiVersion: 'v1' },
      reason: state.reason,
      message: state.message,
      type: state.ready ? 'Normal' : 'Warning',
      source: { component: 'orders-health-sidecar' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}

/** What a log line may say of a failed Kubernetes call: the HTTP status with the Status body's reason
 * and message, or the client's error code and message (TLS, DNS, refused); never headers or tokens. */
export function kubeFailure(err: unknown): { status_code: number | null; api_reason?: string; api_message?: string; error_code?: string; error?: string } {
  const e = err as { code?: unknown; body?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const clip = (v: unknown) => (typeof v === 'string' && v ? redactTokens(v).slice(0, 300) : undefined);
  if (typeof e?.code === 'number') {
    let body = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as unknown;
      } catch {
        body = { message: body };
      }
    }
    const status = (body ?? {}) as { reason?: unknown; message?: unknown };
    return { status_code: e.code, ...defined({ api_reason: clip(status.reason), api_message: clip(status.message) }) };
  }
  // fetch wraps the socket's error as its cause (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ENOTFOUND)
  const code = [e?.cause?.code, e?.code].find((c) => typeof c === 'string') as string | undefined;
  const message = [e?.cause?.message, e?.message].filter((m) => typeof m === 'string' && m).join(': ');
  return { status_code: null, ...defined({ error_code: code, error: clip(message || String(err)) }) };
}

function redactTokens(text: string): string {
  return text.replace(/(bearer\s+)[^\s"',]+/gi, '$1[redacted]').replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '[redacted]');
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The condition for a snapshot's critical verdict. */
export function conditionFor(ready: boolean, criticalStatus: string, stale: boolean): ConditionState {
  if (ready) return { ready, reason: 'DependenciesReady', message: 'PostgreSQL answered its last probes' };
  if (stale) return { ready, reason: 'ProbesStale', message: 'No recent probe of PostgreSQL' };
  return { ready, reason: 'PostgresUnavailable', message: `PostgreSQL probe: ${criticalStatus}` };
}

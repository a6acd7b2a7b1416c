// A loopback stand-in of the Kubernetes API for the pod-condition tests: PATCH pods/{name}/status
// only as a strategic merge patch (415 otherwise), conditions merged by type, 409 on a wrong UID,
// switchable 403/404; Events recorded (or refused with 403, eventsRefused).

import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface KubeApiStandIn {
  url: string;
  conditions: Array<Record<string, unknown>>;
  patches: Array<{ contentType: string | undefined; body: Record<string, unknown> }>;
  events: Array<Record<string, unknown>>;
  mode: 'ok' | 'forbidden' | 'gone';
  eventsRefused: boolean;
  close(): Promise<void>;
}

export async function startKubeApi(pod: { name: string; namespace: string; uid: string }): Promise<KubeApiStandIn> {
  const state: KubeApiStandIn = { url: '', conditions: [{ type: 'Ready', status: 'False' }], patches: [], events: [], mode: 'ok', eventsRefused: false, close: async () => undefined };
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const statusPath = `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`;
    if (req.method === 'PATCH' && req.url?.startsWith(statusPath)) {
      state.patches.push({ contentType: req.headers['content-type'], body: JSON.parse(raw || '{}') });
      if (state.mode === 'forbidden') return json(403, { kind: 'Status', code: 403, reason: 'Forbidden' });
      if (state.mode === 'gone') return json(404, { kind: 'Status', code: 404, reason: 'NotFound' });
      if (req.headers['content-type'] !== 'application/strategic-merge-patch+json') {
        return json(415, { kind: 'Status', code: 415, reason: 'UnsupportedMediaType' });
      }
      const body = JSON.parse(raw) as { metadata?: { uid?: string }; status?: { conditions?: Array<Record<string, unknown>> } };
      if (body.metadata?.uid !== undefined && body.metadata.uid !== pod.uid) {
        return json(409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'Precondition failed: UID in precondition' });
      }
      for (const c of body.status?.conditions ?? []) {
        const i = state.conditions.findIndex((x) => x.type === c.type);
        if (i >= 0) state.conditions[i] = { ...state.conditions[i], ...c };
        else state.conditions.push(c);
      }
      return json(200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid }, status: { conditions: state.conditions } });
    }
    if (req.method === 'POST' && req.url?.startsWith(`/api/v1/namespaces/${pod.namespace}/events`)) {
      if (state.eventsRefused) {
        return json(403, { kind: 'Status', code: 403, reason: 'Forbidden', message: `events is forbidden: User "system:serviceaccount:${pod.namespace}:orders" cannot create resource "events"` });
      }
      const event = JSON.parse(raw) as Record<string, unknown>;
      state.events.push(event);
      return json(201, { ...event, metadata: { name: 'e1', namespace: pod.namespace } });
    }
    json(404, { kind: 'Status', code: 404 });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

// A webhook receiver stand-in over a real socket: answers each request by a plan (fail, hang past
// the sender's deadline, redirect, accept), records every request, and dedupes by webhook-id the
// way a receiver should, so a test can say "every event arrived, once in effect".
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = 'ok' | 'fail' | 'hang' | 'redirect';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  answer: Answer;
}

export interface WebhookReceiver {
  /** the receiver's origin: each test posts to a path of its own (`${url}/mine`) */
  url: string;
  /** every request, in arrival order */
  requests: ReceivedRequest[];
  /** the events a path accepted, by webhook-id (the first accepted request of each) */
  accepted(path: string): Map<string, ReceivedRequest>;
  /** the next answers, in order; `ok` once the plan is used up (or `always` when given) */
  plan(answers: Answer[], always?: Answer): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { hangMs?: number } = {}): Promise<WebhookReceiver> {
  let queue: Answer[] = [];
  let fallback: Answer = 'ok';
  const requests: ReceivedRequest[] = [];
  const accepted = new Map<string, Map<string, ReceivedRequest>>();
  const hangs = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = queue.shift() ?? fallback;
      const record = { path: req.url ?? '/', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), answer };
      requests.push(record);
      if (answer === 'fail') res.writeHead(500).end('no');
      else if (answer === 'redirect') res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      else if (answer === 'hang') {
        const t = setTimeout(() => {
          hangs.delete(t);
          res.writeHead(200).end();
        }, options.hangMs ?? 2000);
        hangs.add(t);
      } else {
        const id = record.headers['webhook-id']!;
        const mine = accepted.get(record.path) ?? new Map<string, ReceivedRequest>();
        accepted.set(record.path, mine);
        if (!mine.has(id)) mine.set(id, record);
        res.writeHead(204).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted: (path) => accepted.get(path) ?? new Map(),
    plan(answers, always = 'ok') {
      queue = [...answers];
      fallback = always;
    },
    async close() {
      for (const t of hangs) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Shutdown: not ready → wait for the endpoints to drop us → stop accepting → drain → close what
// start-up opened (background work first, then clients, then the database, spans last).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from './data/database.js';
import type { Log } from './log.js';
import type { Tracing } from './tracing/tracing.js';

/** What start-up opened, closed in order: background loops are awaited before clients go. */
export interface Closer {
  /** a loop that stops after its pass in progress */
  stopAwaited(stop: () => Promise<void>): void;
  /** a client, timer or loop that stops at once */
  stopNow(stop: () => void): void;
  close(): Promise<void>;
}

export function createCloser(): Closer {
  const awaited: Array<() => Promise<void>> = [];
  const immediate: Array<() => void> = [];
  return {
    stopAwaited: (stop) => void awaited.push(stop),
    stopNow: (stop) => void immediate.push(stop),
    async close() {
      for (const stop of awaited) await stop().catch(() => undefined);
      for (const stop of immediate) stop();
    },
  };
}

/** Sockets with no request in flight are closed at once on shutdown; busy ones after their response. */
export function trackSockets(server: Server): Map<Socket, number> {
  const sockets = new Map<Socket, number>();
  server.on('connection', (socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    res.once('finish', () => {
      const left = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, left);
      if (!server.listening && left === 0) socket.destroySoon();
    });
  });
  return sockets;
}

async function closeServer(server: Server, sockets: Map<Socket, number>, drainTimeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const [socket, inFlight] of sockets) if (inFlight === 0) socket.destroySoon();
  const timer = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
  await closed;
  clearTimeout(timer);
}

export interface StopDeps {
  server: Server;
  sockets: Map<Socket, number>;
  state: { ready: boolean; shuttingDown: boolean };
  closer: Closer;
  database: Database;
  tracing: Tracing;
  log: Log;
  shutdownDelaySeconds: number;
  drainTimeoutMs: number;
}

/** The graceful stop, run once however often it is asked for; `{ delay: true }` waits SHUTDOWN_DELAY_SECONDS first. */
export function createStop(deps: StopDeps): (options?: { delay?: boolean }) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (options = {}) => {
    stopping ??= (async () => {
      deps.state.ready = false;
      deps.state.shuttingDown = true;
      deps.log.info({ delay_seconds: options.delay ? deps.shutdownDelaySeconds : 0 }, 'shutting down: not ready');
      if (options.delay && deps.shutdownDelaySeconds > 0) await sleep(deps.shutdownDelaySeconds * 1000);
      await closeServer(deps.server, deps.sockets, deps.drainTimeoutMs);
      await deps.closer.close();
      await deps.database.close();
      // last, so the spans of the drained requests and of shutdown itself are sent
      await deps.tracing.shutdown().catch((err: unknown) => deps.log.warn({ err }, 'could not flush spans'));
      deps.log.info('stopped');
    })();
    return stopping;
  };
}

/** A start-up that failed halfway: close what it had opened, quietly. */
export async function abandonStart(closer: Closer, database: Database, tracing: Tracing): Promise<void> {
  await closer.close();
  await database.close().catch(() => undefined);
  await tracing.shutdown().catch(() => undefined);
}

/** SIGTERM (with the delay) and SIGINT stop the service and exit: what `node main.js` does. */
export function exitOnSignals(stop: (options: { delay?: boolean }) => Promise<void>, log: Log): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'signal received');
      stop({ delay: signal === 'SIGTERM' }).then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

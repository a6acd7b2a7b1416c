// A background pass run every intervalMs after the previous one ended (never two at once), as the
// outbox relay and the webhook worker run theirs; stop() waits for a pass in progress.

export interface PollLoop {
  /** true once stop() was called: a pass checks it between items */
  readonly stopped: boolean;
  start(): void;
  stop(): Promise<void>;
}

export function createPollLoop(options: { intervalMs: number; pass: () => Promise<unknown>; onError: (err: unknown) => void }): PollLoop {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = options.pass().catch(options.onError);
      void running.finally(() => {
        running = null;
        schedule();
      });
    }, options.intervalMs);
    timer.unref();
  }

  return {
    get stopped() {
      return stopped;
    },
    start(): void {
      stopped = false;
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

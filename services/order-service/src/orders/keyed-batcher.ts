// Callers join a batch by key; a runner per key takes what has gathered and runs it as one, while
// later joiners gather for the next run. Group commit and per-product stock batching both use it.

export interface BatchMember<I, R> {
  readonly input: I;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export interface KeyedBatcherOptions<I, R> {
  /** at most this many members go into one run */
  maxBatch: number;
  /** runs of one key at a time (1: each run starts after the previous one ended) */
  runnersPerKey?: number;
  /**
   * Runs one batch. `take()` closes it and returns its members (the same ones on every call), so a
   * run may keep it open while it waits, e.g. for a lock. A member the run leaves unsettled is
   * rejected; a run that throws rejects every member still unsettled with its error.
   */
  run(key: string, take: () => Array<BatchMember<I, R>>): Promise<void>;
}

export interface KeyedBatcher<I, R> {
  join(key: string, input: I): Promise<R>;
}

interface Lane<I, R> {
  waiting: Array<BatchMember<I, R>>;
  runners: number;
}

export function createKeyedBatcher<I, R>(options: KeyedBatcherOptions<I, R>): KeyedBatcher<I, R> {
  const runnersPerKey = options.runnersPerKey ?? 1;
  const lanes = new Map<string, Lane<I, R>>();

  function join(key: string, input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let lane = lanes.get(key);
      if (!lane) {
        lane = { waiting: [], runners: 0 };
        lanes.set(key, lane);
      }
      lane.waiting.push(settleOnce(input, resolve, reject));
      if (lane.runners < runnersPerKey) void drain(key, lane);
    });
  }

  async function drain(key: string, lane: Lane<I, R>): Promise<void> {
    lane.runners += 1;
    try {
      while (lane.waiting.length > 0) await runOne(key, lane);
    } finally {
      lane.runners -= 1;
      // an idle key holds no memory; a joiner makes a fresh lane
      if (lane.runners === 0 && lane.waiting.length === 0 && lanes.get(key) === lane) lanes.delete(key);
    }
  }

  async function runOne(key: string, lane: Lane<I, R>): Promise<void> {
    let batch: Array<BatchMember<I, R>> | undefined;
    const take = () => (batch ??= lane.waiting.splice(0, options.maxBatch));
    try {
      await options.run(key, take);
    } catch (err) {
      // a batch that failed before it was taken is closed too: its members share the failure
      for (const member of take()) member.reject(err);
      return;
    }
    for (const member of take()) member.reject(new Error('a batch run left a member unsettled'));
  }

  return { join };
}

/** A member whose first resolve or reject wins, so a run's catch-all cannot undo a member's answer. */
function settleOnce<I, R>(input: I, resolve: (r: R) => void, reject: (err: unknown) => void): BatchMember<I, R> {
  let settled = false;
  return {
    input,
    resolve(result) {
      if (settled) return;
      settled = true;
      resolve(result);
    },
    reject(err) {
      if (settled) return;
      settled = true;
      reject(err);
    },
  };
}

import { createKeyedBatcher, type BatchMember } from '../../src/orders/keyed-batcher.js';

/** A promise with its resolve outside, so a test decides when a fake run ends. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const settle = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (err: unknown) => ({ err: (err as Error).message }));

describe('keyed batcher', () => {
  test('members that join one key while a run is busy go through the next run together', async () => {
    const runs: number[][] = [];
    const first = gate();
    const batcher = createKeyedBatcher<number, number>({
      maxBatch: 10,
      async run(_key, take) {
        const batch = take();
        runs.push(batch.map((m) => m.input));
        if (runs.length === 1) await first.opened;
        batch.forEach((m) => m.resolve(m.input * 2));
      },
    });
    const a = batcher.join('p1', 1);
    const b = batcher.join('p1', 2);
    const c = batcher.join('p1', 3);
    first.open();
    expect(await Promise.all([a, b, c])).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1], [2, 3]]);
  });

  test('a run may keep its batch open until it takes it', async () => {
    const locked = gate();
    const runs: string[][] = [];
    const batcher = createKeyedBatcher<string, string>({
      maxBatch: 10,
      async run(_key, take) {
        await locked.opened; // e.g. waiting for a lock
        const batch = take();
        runs.push(batch.map((m) => m.input));
        batch.forEach((m) => m.resolve(m.input));
      },
    });
    const joined = [batcher.join('k', 'a'), batcher.join('k', 'b')];
    await Promise.resolve();
    joined.push(batcher.join('k', 'c'));
    locked.open();
    expect(await Promise.all(joined)).toEqual(['a', 'b', 'c']);
    expect(runs).toEqual([['a', 'b', 'c']]);
  });

  test('different keys run independently', async () => {
    const slow = gate();
    const order: string[] = [];
    const batcher = createKeyedBatcher<string, string>({
      maxBatch: 10,
      async run(key, take) {
        const batch = take();
        if (key === 'slow') await slow.opened;
        order.push(key);
        batch.forEach((m) => m.resolve(key));
      },
    });
    const blocked = batcher.join('slow', 'x');
    expect(await batcher.join('fast', 'y')).toBe('fast');
    expect(order).toEqual(['fast']);
    slow.open();
    expect(await blocked).toBe('slow');
  });

  test('a failing run rejects only its own members', async () => {
    const first = gate();
    let runs = 0;
    const batcher = createKeyedBatcher<number, number>({
      maxBatch: 10,
      async run(key, take) {
        const batch = take();
        runs += 1;
        if (runs === 1) await first.opened;
        if (key === 'p1' && batch.some((m) => m.input === 2)) throw new Error('product service down');
        batch.forEach((m) => m.resolve(m.input));
      },
    });
    const one = settle(batcher.join('p1', 1));
    const two = settle(batcher.join('p1', 2));
    const three = settle(batcher.join('p1', 3));
    const other = settle(batcher.join('p2', 2));
    first.open();
    expect(await Promise.all([one, two, three, other])).toEqual([
      { ok: 1 },
      { err: 'product service down' },
      { err: 'product service down' },
      { ok: 2 },
    ]);
  });

  test('a member answered on its own keeps its answer when the run then fails', async () => {
    const batcher = createKeyedBatcher<number, number>({
      maxBatch: 10,
      async run(_key, take) {
        await Promise.resolve(); // both have joined
        const [refused, ...rest] = take();
        refused!.reject(new Error('out of stock'));
        rest.forEach((m) => m.resolve(m.input));
        throw new Error('too late');
      },
    });
    const a = settle(batcher.join('k', 1));
    const b = settle(batcher.join('k', 2));
    expect(await Promise.all([a, b])).toEqual([{ err: 'out of stock' }, { ok: 2 }]);
  });

  /** The most runs of one key seen at once while `members` join it. */
  async function mostAtOnce(members: number, runnersPerKey?: number): Promise<number> {
    let active = 0;
    let most = 0;
    const batcher = createKeyedBatcher<number, number>({
      maxBatch: 2,
      runnersPerKey,
      async run(_key, take) {
        const batch = take();
        active += 1;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 5));
        batch.forEach((m) => m.resolve(m.input));
        active -= 1;
      },
    });
    await Promise.all(Array.from({ length: members }, (_, i) => batcher.join('k', i)));
    return most;
  }

  test('the next run of a key starts only after the previous one ended', async () => {
    expect(await mostAtOnce(7)).toBe(1);
  });

  test('with several runners per key at most that many run at once', async () => {
    expect(await mostAtOnce(20, 3)).toBe(3);
  });

  test('no member is lost or run twice, and batches never exceed their size', async () => {
    const seen: number[] = [];
    const sizes: number[] = [];
    const batcher = createKeyedBatcher<number, number>({
      maxBatch: 4,
      runnersPerKey: 2,
      async run(_key, take) {
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        const batch = take();
        sizes.push(batch.length);
        seen.push(...batch.map((m) => m.input));
        if (batch.some((m) => m.input % 7 === 0)) throw new Error('boom');
        batch.forEach((m) => m.resolve(m.input));
      },
    });
    const inputs = Array.from({ length: 50 }, (_, i) => i);
    const results = await Promise.all(inputs.map((i) => settle(batcher.join(`k${i % 3}`, i))));
    expect([...seen].sort((a, b) => a - b)).toEqual(inputs);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(results).toHaveLength(50);
  });

  test('a member the run leaves unsettled is rejected, not left hanging', async () => {
    const batcher = createKeyedBatcher<number, number>({
      maxBatch: 10,
      async run(_key, take) {
        await Promise.resolve(); // both have joined
        const [first] = take() as Array<BatchMember<number, number>>;
        first!.resolve(1);
      },
    });
    const a = settle(batcher.join('k', 1));
    const b = settle(batcher.join('k', 2));
    expect(await Promise.all([a, b])).toEqual([{ ok: 1 }, { err: 'a batch run left a member unsettled' }]);
  });
});

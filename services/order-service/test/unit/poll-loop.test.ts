// The background loop of the outbox relay and the webhook worker: passes one after another (never
// two at once), an error reported and the loop going on, stop() waiting for the pass in progress.
import { createPollLoop } from '../../src/background/poll-loop.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('passes run one after another, a failing one is reported and the next still runs, stop waits for the pass in progress', async () => {
  let active = 0;
  let overlap = false;
  let passes = 0;
  let finished = 0;
  const errors: unknown[] = [];
  const loop = createPollLoop({
    intervalMs: 5,
    pass: async () => {
      passes++;
      if (active++ > 0) overlap = true;
      await sleep(15);
      active--;
      finished++;
      if (passes === 2) throw new Error('second pass fails');
    },
    onError: (err) => errors.push(err),
  });
  expect(loop.stopped).toBe(false);
  loop.start();
  const deadline = Date.now() + 5_000;
  while (passes < 4 && Date.now() < deadline) await sleep(5);
  await loop.stop();
  expect(loop.stopped).toBe(true);
  expect(passes).toBeGreaterThanOrEqual(4);
  expect(finished).toBe(passes); // stop() returned after the pass in progress ended
  expect(overlap).toBe(false);
  expect(errors.map((e) => (e as Error).message)).toEqual(['second pass fails']);
  const after = passes;
  await sleep(40);
  expect(passes).toBe(after); // nothing runs after stop
});

// What the built sidecar loads: nothing of the global fetch (undici), which pg would pull in on
// Node 20 through its Cloudflare-Workers check. Runs the build, as the pod does.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('loading the sidecar (pg, ioredis, node-fetch) leaves undici, the global fetch, unloaded', async () => {
  const main = join(process.cwd(), 'sidecar', 'dist', 'main.js');
  const script = `await import(${JSON.stringify(main)}); console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  expect(JSON.parse(stdout)).toEqual([]);
});

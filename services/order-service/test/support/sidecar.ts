// The built health sidecar as a real process beside a test service, on a port of the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const sidecarEntry = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../sidecar/dist/main.js');

export async function startSidecarProcess(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [sidecarEntry], {
    env: { PATH: process.env.PATH ?? '', SIDECAR_HOST: '127.0.0.1', SIDECAR_PORT: String(port), LOG_LEVEL: 'INFO', PROBE_INTERVAL_SECONDS: '60', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 15_000;
  while (!out.includes('health sidecar started')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`sidecar did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

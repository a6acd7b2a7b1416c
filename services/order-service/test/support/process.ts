// Runs the built service (dist/src/main.js) as a real process, as the image does, for tests that
// need several instances or a crash. `npm test` builds before jest runs.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js');

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** resolves with the exit code or signal */
  exited: Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export async function startServiceProcess(env: Record<string, string>, timeoutMs = 20_000, nodeArgs: string[] = []): Promise<ServiceProcess> {
  if (!existsSync(entry)) throw new Error(`build the service first (npm run build): ${entry} is missing`);
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: { PATH: process.env.PATH ?? '', SERVICE_HOST: '127.0.0.1', SERVICE_PORT: '0', LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const look = () => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${String(code)}) before starting:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

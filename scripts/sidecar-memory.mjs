// node scripts/sidecar-memory.mjs [runs]: the built sidecar's RSS outside a cluster and in one (the
// Kubernetes API stand-in), under the chart's Node options, after it has probed real PostgreSQL,
// Redis and two HTTP peers for a while and answered /v1/results and /metrics 20 at a time.
// Not a test (the figures depend on the machine); BENCHMARKS.md "Sidecar memory (issue 16)" has the method.
// To compare: SIDECAR_MAIN another build, SIDECAR_NODE_OPTIONS / SIDECAR_ENV other settings,
// SIDECAR_MODES=outside one mode, SIDECAR_HEAP=1 the heap from the sidecar's /metrics after each run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { parse } from 'yaml';
import { freePort, rssMb, startKubeApi } from './bench/processes.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const PROBING_MS = 8000;
const LOAD_MS = 5000;
const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAIN = process.env.SIDECAR_MAIN ?? 'sidecar/dist/main.js';
const sidecarValues = parse(readFileSync(new URL('../charts/order-service/values.yaml', import.meta.url), 'utf8')).sidecar;
// what the chart's template renders into the container's NODE_OPTIONS
const chartOptions = [
  `--max-old-space-size=${sidecarValues.heapMegabytes}`,
  ...(sidecarValues.semiSpaceMegabytes ? [`--max-semi-space-size=${sidecarValues.semiSpaceMegabytes}`] : []),
  ...(sidecarValues.v8PoolSize ? [`--v8-pool-size=${sidecarValues.v8PoolSize}`] : []),
].join(' ');
const NODE_OPTIONS = process.env.SIDECAR_NODE_OPTIONS ?? chartOptions;
// the chart's MALLOC_ARENA_MAX, or SIDECAR_ENV='{"MALLOC_ARENA_MAX":"8"}' to compare
const EXTRA_ENV = JSON.parse(process.env.SIDECAR_ENV ?? (sidecarValues.mallocArenaMax ? `{"MALLOC_ARENA_MAX":"${sidecarValues.mallocArenaMax}"}` : '{}'));
const MODES = (process.env.SIDECAR_MODES ?? 'outside,inside').split(',');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GET over a fresh connection, body read to its end; the status (0 when it failed). */
const getStatus = (url) =>
  new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', () => resolve(0));
  });

/** SIDECAR_HEAP=1: the V8 heap as the sidecar's own /metrics tells it, in MB. */
const heapOf = (url) =>
  new Promise((resolve) => {
    get(`${url}/metrics`, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const pick = (re) => [...text.matchAll(re)].map((m) => `${m[1]} ${(Number(m[2]) / 1048576).toFixed(1)}`).join(', ');
        resolve(`      heap: ${pick(/^(nodejs_heap_size_(?:total|used)_bytes|nodejs_external_memory_bytes) (\S+)/gm)}; spaces used: ${pick(/^nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)/gm)}`);
      });
    });
  });

const peer = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}')).listen(0, '127.0.0.1');
await once(peer, 'listening');
const peerUrl = `http://127.0.0.1:${peer.address().port}`;

async function measure(inCluster) {
  const kube = inCluster ? await startKubeApi() : null;
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    NODE_OPTIONS,
    ENVIRONMENT: 'production',
    LOG_LEVEL: 'ERROR',
    SIDECAR_HOST: '127.0.0.1',
    SIDECAR_PORT: String(port),
    PROBE_INTERVAL_SECONDS: '1',
    DATABASE_URL: PG,
    REDIS_URL: REDIS,
    PRODUCT_SERVICE_URL: peerUrl,
    CART_SERVICE_URL: peerUrl,
    ...(kube?.env ?? {}),
  };
  const child = spawn(process.execPath, [MAIN], { env: { ...env, ...EXTRA_ENV }, stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; (await getStatus(`${url}/healthz`)) !== 200; i++) {
      if (i > 200) throw new Error('the sidecar did not start');
      await sleep(100);
    }
    await sleep(PROBING_MS);
    const probed = rssMb(child.pid);
    let peak = 0;
    let answered = 0;
    for (const end = Date.now() + LOAD_MS; Date.now() < end; ) {
      const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => getStatus(`${url}/${i % 2 ? 'metrics' : 'v1/results'}`)));
      answered += statuses.filter((s) => s === 200).length;
      peak = Math.max(peak, rssMb(child.pid));
    }
    await sleep(1000);
    const after = rssMb(child.pid);
    if (process.env.SIDECAR_HEAP) console.log(await heapOf(url));
    return { probed, peak, after, answered, exited: child.exitCode !== null };
  } finally {
    child.kill('SIGKILL');
    kube?.close();
  }
}

const fmt = (n) => n.toFixed(1).padStart(6);
console.log(`${MAIN} with NODE_OPTIONS="${NODE_OPTIONS}" ${JSON.stringify(EXTRA_ENV)}, node ${process.version}; RSS in MB`);
console.log('run  mode        probed   peak  after  answered');
const all = { outside: [], inside: [] };
for (let run = 1; run <= RUNS; run++) {
  for (const mode of run % 2 ? MODES : [...MODES].reverse()) {
    const r = await measure(mode === 'inside');
    all[mode].push(r);
    console.log(`${String(run).padStart(3)}  ${mode.padEnd(10)} ${fmt(r.probed)} ${fmt(r.peak)} ${fmt(r.after)}  ${r.answered}${r.exited ? ' (exited)' : ''}`);
  }
}
for (const [mode, rs] of Object.entries(all).filter(([, rs]) => rs.length)) {
  const range = (k) => `${Math.min(...rs.map((r) => r[k])).toFixed(0)}–${Math.max(...rs.map((r) => r[k])).toFixed(0)}`;
  console.log(`${mode}: probed ${range('probed')}, peak ${range('peak')}, after ${range('after')} MB`);
}
peer.close();

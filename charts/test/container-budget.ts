// What the chart gives each Node container of the pod for memory, read from values.yaml: the
// NODE_OPTIONS its template renders from the heap values, and the memory limit. The process tests
// run the built service and sidecar the way the pod does and hold them to these limits.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

interface HeapValues {
  heapMegabytes: number;
  semiSpaceMegabytes?: number;
  v8PoolSize?: number;
  mallocArenaMax?: number;
  resources: { limits: { memory: string } };
}

/** A Kubernetes memory quantity in MiB (the chart uses Mi and Gi). */
export function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** NODE_OPTIONS, MALLOC_ARENA_MAX and the memory limit (MiB) of the service or the sidecar container, as the chart sets them. */
export function containerBudget(container: 'service' | 'sidecar'): { nodeOptions: string; env: Record<string, string>; limitMiB: number } {
  const values = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../order-service/values.yaml'), 'utf8')) as HeapValues & { sidecar: HeapValues };
  const v = container === 'sidecar' ? values.sidecar : values;
  const semi = v.semiSpaceMegabytes ? ` --max-semi-space-size=${v.semiSpaceMegabytes}` : '';
  const pool = v.v8PoolSize ? ` --v8-pool-size=${v.v8PoolSize}` : '';
  const env: Record<string, string> = v.mallocArenaMax ? { MALLOC_ARENA_MAX: String(v.mallocArenaMax) } : {};
  return { nodeOptions: `--max-old-space-size=${v.heapMegabytes}${semi}${pool}`, env, limitMiB: mebibytes(v.resources.limits.memory) };
}

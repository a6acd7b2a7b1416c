// The layers as the imports draw them: domain depends on nothing, the use cases (orders/) on the
// domain and their own ports, the adapters (data, cache, peers, events) on the ports and never on
// HTTP, HTTP never on an adapter; only the composition root (main.ts, wiring/) knows them all.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every import of every source file: `from` its folder under src/ (or the file at the top), `to` a path under src/ or a package. */
const imports = sources(SRC).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const statements = [...text.matchAll(/^(?:import|export)\s[^;]*?\bfrom\s+'([^']+)'/gms), ...text.matchAll(/^import\s+'([^']+)'/gm), ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)];
  const specifiers = statements.map((m) => m[1]!);
  const from = relative(SRC, file);
  return specifiers.map((s) => ({ from, to: s.startsWith('.') ? relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '') : `package:${s}` }));
});
const layer = (path: string) => (path.startsWith('package:') ? path : path.includes('/') ? path.split('/')[0]! : `top:${path.replace(/\.ts$/, '')}`);
const violations = (from: string[], allowed: (to: string) => boolean) =>
  imports.filter((i) => from.includes(layer(i.from)) && !allowed(i.to)).map((i) => `${i.from} → ${i.to}`);

test('the import scan sees the source tree', () => {
  expect(imports.length).toBeGreaterThan(300);
  expect(imports).toContainEqual({ from: 'orders/place-order.ts', to: 'domain/errors' });
});

test('domain/ imports only domain/ (and Node built-ins)', () => {
  expect(violations(['domain'], (to) => layer(to) === 'domain' || to.startsWith('package:node:'))).toEqual([]);
});

test('the use cases import the domain, their ports and generic helpers; no adapter, no HTTP, no database library', () => {
  const allowed = new Set(['domain', 'orders', 'background', 'tracing']);
  expect(violations(['orders'], (to) => allowed.has(layer(to)) || to.startsWith('package:node:'))).toEqual([]);
});

test('the adapters reach the use cases only through their ports, and never HTTP or the composition root', () => {
  const ports = (to: string) => to === 'orders/ports' || to.startsWith('orders/ports/') || to === 'orders/search-ports';
  expect(violations(['data', 'cache', 'peers', 'events'], (to) => !['orders', 'http', 'wiring', 'top:main'].includes(layer(to)) || ports(to))).toEqual([]);
});

test('HTTP never imports an adapter or the composition root', () => {
  expect(violations(['http'], (to) => !['data', 'cache', 'peers', 'events', 'wiring', 'top:main'].includes(layer(to)))).toEqual([]);
});

test('only main.ts and wiring/ import wiring/', () => {
  expect(imports.filter((i) => layer(i.to) === 'wiring' && !['wiring', 'top:main'].includes(layer(i.from))).map((i) => `${i.from} → ${i.to}`)).toEqual([]);
});

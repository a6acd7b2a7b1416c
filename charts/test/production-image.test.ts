// The production image holds production code only: the runtime stage copies the built src/ (not
// the development stack or the test stand-ins), and nothing in src/ reaches for them or for PGlite,
// which are development dependencies (npm ci --omit=dev leaves them out).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test("the runtime stage takes from the build only the service's src/, the sidecar and the snapshot contract they share", () => {
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const copied = runtime.split('\n').filter((l) => l.startsWith('COPY --from=build')).map((l) => l.split(/\s+/)[2]);
  expect(copied).toEqual(['/app/services/health-snapshot/dist', '/app/services/order-service/dist/src', '/app/sidecar/dist']);
  expect(runtime).toContain('npm ci --omit=dev');
});

test('PGlite is a development dependency, and no production source imports it, dev/ or test/', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'services/order-service/package.json'), 'utf8')) as Record<string, Record<string, string>>;
  expect(Object.keys(pkg.dependencies!).filter((d) => d.includes('pglite'))).toEqual([]);
  expect(Object.keys(pkg.devDependencies!)).toEqual(expect.arrayContaining(['@electric-sql/pglite', '@electric-sql/pglite-socket']));
  const offenders = sources(join(repo, 'services/order-service/src')).filter((f) =>
    /from '(@electric-sql\/pglite[^']*|(\.\.\/)+(dev|test)\/[^']*)'/.test(readFileSync(f, 'utf8')),
  );
  expect(offenders).toEqual([]);
});

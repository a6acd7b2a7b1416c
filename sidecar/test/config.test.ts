// The sidecar's configuration is refused like the service's: every bad value named in one line,
// never silently replaced by a default; where it runs is labelled from the environment.
import { loadSidecarConfig } from '../src/config.js';

test('bad values are refused together in one line: a port, a threshold and a log level', () => {
  let message = '';
  try {
    loadSidecarConfig({ SIDECAR_PORT: 'abc', CRITICAL_FAILURE_THRESHOLD: 'x', LOG_LEVEL: 'INFOO' });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).not.toContain('\n');
  expect(message).toMatch(/SIDECAR_PORT/);
  expect(message).toMatch(/CRITICAL_FAILURE_THRESHOLD/);
  expect(message).toMatch(/LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR/);
});

test('log levels are read as the service reads them, in any case', () => {
  expect(loadSidecarConfig({ LOG_LEVEL: 'warning' }).logLevel).toBe('warn');
  expect(loadSidecarConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
});

test('platform labels are the platform\'s by default and the environment\'s where given', () => {
  const byDefault = loadSidecarConfig({ DATABASE_URL: 'postgres://db.example/orders' });
  expect(byDefault.dependencies.find((d) => d.name === 'postgres')).toMatchObject({ platform: 'Neon (AWS us-east-2)', provider: 'neon' });
  const local = loadSidecarConfig({ DATABASE_URL: 'postgres://127.0.0.1/orders', PROBE_POSTGRES_PLATFORM: 'PGlite (embedded)', PROBE_POSTGRES_PROVIDER: 'pglite' });
  expect(local.dependencies.find((d) => d.name === 'postgres')).toMatchObject({ platform: 'PGlite (embedded)', provider: 'pglite' });
});

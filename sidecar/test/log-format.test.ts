// One log format for both processes: a line of the sidecar and a line of the service carry the same
// fields of the same kinds (ISO time, level name, process name and version, message), and secrets
// are redacted by both.
import { PassThrough } from 'node:stream';
import { createLogger } from '../../services/order-service/src/log.js';
import { createSidecarLogger } from '../src/log.js';

function lineOf(write: (stream: PassThrough) => void): Record<string, unknown> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  write(stream);
  return JSON.parse(text.trim().split('\n')[0]!) as Record<string, unknown>;
}

test('the sidecar writes the service\'s line format', () => {
  const sidecar = lineOf((s) => createSidecarLogger({ level: 'info', version: '1.2.3', destination: s }).warn({ authorization: 'Bearer abc', dependency: 'postgres' }, 'probe failed'));
  const service = lineOf((s) => createLogger({ level: 'info', service: 'order-service', version: '1.2.3', destination: s }).warn({ authorization: 'Bearer abc', dependency: 'postgres' }, 'probe failed'));
  const shape = (l: Record<string, unknown>) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, k === 'time' ? /^\d{4}-\d\d-\d\dT/.test(String(v)) : typeof v]));
  expect(shape(sidecar)).toEqual(shape(service));
  expect(sidecar).toMatchObject({ level: 'warn', service: 'health-sidecar', version: '1.2.3', message: 'probe failed', authorization: '[redacted]' });
  expect(service).toMatchObject({ level: 'warn', message: 'probe failed', authorization: '[redacted]' });
});

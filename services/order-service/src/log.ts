// pino JSON lines with the service's name; secrets are redacted and errors are reduced to their
// class, code and cause (describe-error.ts), so no stack trace, SQL text or secret ever reaches a log line.
import { types } from 'node:util';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { describeCause } from './describe-error.js';
import { DomainError } from './domain/errors.js';
import { traceLogFields } from './tracing/trace-context.js';

export type Log = Logger;

export interface LogOptions {
  level: LogLevel;
  service: string;
  version?: string;
  /** where lines go; stdout by default (tests pass a stream to read the lines back) */
  destination?: DestinationStream;
}

// Paths pino removes wherever they appear one or two levels down (headers, config, error extras).
const REDACT = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'secretKey',
  'secret_key',
  'token',
  '*.authorization',
  '*.Authorization',
  '*.cookie',
  '*["set-cookie"]',
  '*.password',
  '*.secret',
  '*.secretKey',
  '*.secret_key',
  '*.token',
  '*.headers.authorization',
  '*.headers.cookie',
];

export function createLogger(options: LogOptions): Log {
  return pino(
    {
      level: options.level,
      base: { service: options.service, ...(options.version ? { version: options.version } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'message',
      formatters: { level: (label) => ({ level: label }) },
      // every line written inside a request (or an outbox delivery) names its trace
      mixin: traceLogFields,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: describeError, error: describeError },
    },
    options.destination,
  );
}

/**
 * An error as a log line may show it: its class, its code, why it happened (SQLSTATE, TLS reason,
 * errno and address) and, for our own domain errors only, their message (which we wrote). Driver and
 * library messages can quote SQL or values, so only connection-level ones (which quote no data) are kept.
 */
export function describeError(err: unknown): Record<string, unknown> {
  // isNativeError: errors made by Node itself (tls, net) in another realm are errors too
  if (!(err instanceof Error) && !types.isNativeError(err)) return { class: typeof err };
  const described: Record<string, unknown> = { class: err.constructor?.name ?? err.name };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') described.code = code;
  if (err instanceof DomainError) {
    described.type = err.type;
    described.status = err.status;
    described.message = err.message;
  }
  return { ...described, ...describeCause(err) };
}

// The sidecar's log lines in the service's format (services/order-service/src/log.ts): JSON lines
// with an ISO time, the level's name, the process's name and version, and `message`; tokens and
// passwords redacted wherever they appear. One format for both processes in one terminal or log store.
import pino from 'pino';

const REDACT = ['authorization', 'password', 'secret', 'token', '*.authorization', '*.password', '*.secret', '*.token', '*.headers.authorization'];

export function createSidecarLogger(options: { level: string; version: string; destination?: pino.DestinationStream }): pino.Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'health-sidecar', version: options.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'message',
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

// ENVIRONMENT=test only: the named points where the crash-safety tests have the process die.
import type { Config } from '../config.js';

/** A crash at the configured fault point: what SIGKILL does, without warning; undefined at any other point. */
export function crashAt(config: Config, point: NonNullable<Config['testFaultPoint']>): (() => void) | undefined {
  return config.testFaultPoint === point ? () => process.kill(process.pid, 'SIGKILL') : undefined;
}

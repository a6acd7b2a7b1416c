// Reads the environment once, every section's variables in one schema, and makes the frozen Config.
import { z } from 'zod';
import { accessConfig, accessVariables } from './access.js';
import { checkoutConfig, checkoutVariables } from './checkout.js';
import { serviceConfig, serviceVariables } from './service.js';
import { storageConfig, storageProblems, storageVariables } from './storage.js';
import { tracingConfig, tracingVariables } from './tracing.js';
import { ConfigError, type Config } from './types.js';
import { saysTrue } from './values.js';
import { webhooksConfig, webhooksVariables } from './webhooks.js';

const environmentSchema = z.object({
  ...serviceVariables,
  ...storageVariables,
  ...accessVariables,
  ...checkoutVariables,
  ...tracingVariables,
  ...webhooksVariables,
});

type EnvName = keyof typeof environmentSchema.shape;
type Present = Partial<Record<EnvName, string>>;

const REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'SECRET_KEY', 'REDIS_URL'] as const;

/** Reads and validates the environment once. Throws ConfigError with one line naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = presentVariables(env);
  const problems = (present.ENVIRONMENT ?? '').trim().toLowerCase() === 'production' ? productionProblems(present) : [];
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    // the issue message never carries the value, only what was expected
    for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])} ${issue.message}`);
    throw new ConfigError(problems);
  }
  problems.push(...storageProblems(parsed.data));
  if (problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const production = e.ENVIRONMENT === 'production';
  return deepFreeze({
    ...serviceConfig(e),
    ...storageConfig(e),
    ...accessConfig(e, production),
    ...checkoutConfig(e),
    tracing: tracingConfig(e, e.SERVICE_NAME),
    webhooks: webhooksConfig(e, production),
  });
}

/** An empty variable counts as unset (operators often template `FOO=` for "none"). */
function presentVariables(env: NodeJS.ProcessEnv): Present {
  const present: Present = {};
  for (const name of Object.keys(environmentSchema.shape) as EnvName[]) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') present[name] = value;
  }
  return present;
}

function productionProblems(present: Present): string[] {
  const problems: string[] = [];
  const missing = REQUIRED_IN_PRODUCTION.filter((name) => present[name] === undefined);
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')} (required in production)`);
  if (present.SECRET_KEY !== undefined && present.SECRET_KEY.length < 32) {
    problems.push('SECRET_KEY must be at least 32 characters in production');
  }
  // it gives up the stock record's crash safety
  if (saysTrue(present.DATABASE_SINGLE_SESSION)) {
    problems.push('DATABASE_SINGLE_SESSION is for an embedded development database, not production');
  }
  // a production service reaching its own network on an admin's word is an SSRF hole
  if (saysTrue(present.WEBHOOKS_ALLOW_PRIVATE_TARGETS)) {
    problems.push('WEBHOOKS_ALLOW_PRIVATE_TARGETS is for tests and development, not production');
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

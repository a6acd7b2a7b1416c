// What start-up tells the operator: the old service's emoji banner on a terminal (one JSON line
// otherwise), and the connectivity report from the sidecar's first probe round.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeConfig, type Config } from './config.js';
import type { HealthReader, HealthView } from './health/reader.js';
import type { Log } from './log.js';

export function reportStart(config: Config, log: Log, url: string): void {
  const summary = describeConfig(config);
  if (config.secretKeyGenerated) {
    log.warn('SECRET_KEY is not set: using a random key for this process (tokens from the user service will not verify)');
  }
  if (!process.stdout.isTTY) {
    log.info({ url, config: summary }, 'order service started');
    return;
  }
  const lines = [
    '',
    `🚀 ${config.serviceName} ${config.version} started`,
    `🌍 Environment:   ${config.environment}`,
    `🔗 Listening:     ${url}  (bound to ${config.serviceHost}:${new URL(url).port})`,
    `📚 API docs:      ${url}/docs   (document: ${url}/openapi.json)`,
    `📈 Metrics:       ${url}/metrics`,
    `🗄️  PostgreSQL:    ${String(summary.database_url)}`,
    `🔴 Redis:         ${summary.redis_url === null ? 'not configured (no cache)' : String(summary.redis_url)}`,
    `👤 User service:  ${String(summary.user_service_url ?? 'not configured')}`,
    `🛒 Cart service:  ${String(summary.cart_service_url ?? 'not configured')}`,
    `📦 Product svc:   ${String(summary.product_service_url ?? 'not configured')}`,
    `🔎 Search svc:    ${String(summary.search_service_url ?? 'not configured')}`,
    `🩺 Sidecar:       ${String(summary.sidecar_url)}`,
    `📝 Log level:     ${config.logLevel}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const probed = (view: HealthView) => view.reachable && Object.values(view.dependencies).some((d) => d.status !== 'unknown' && d.status !== 'not_configured');

/** The connectivity report of the old service, from the sidecar's first probe round (waits ≤ 5 s). */
export async function reportConnectivity(reader: HealthReader, log: Log): Promise<void> {
  const deadline = Date.now() + 5000;
  let view = await reader.read();
  while (!probed(view) && Date.now() < deadline) {
    await sleep(1100); // the reader caches a failure for a second
    view = await reader.read();
  }
  const statuses = Object.fromEntries(Object.entries(view.dependencies).map(([name, d]) => [name, d.status]));
  if (process.stdout.isTTY) {
    const icon: Record<string, string> = { connected: '✅', warning: '⚠️ ', failed: '❌', timeout: '⏱️ ', not_configured: '➖', unknown: '❔' };
    const lines = Object.entries(statuses).map(([name, st]) => `   ${icon[st] ?? '❔'} ${name.padEnd(16)} ${st}`);
    process.stdout.write(`\n🔌 Connectivity (from the health sidecar${view.reachable ? '' : ': not reachable yet'})\n${lines.join('\n')}\n\n`);
  } else {
    log.info({ sidecar: view.reachable ? 'ok' : 'unreachable', ready: view.criticalOk, dependencies: statuses }, 'connectivity report');
  }
}

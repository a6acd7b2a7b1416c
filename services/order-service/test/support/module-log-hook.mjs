// A module hook for spawned services (node --import): appends each resolved @opentelemetry or
// tracing module URL to MODULE_LOG_FILE, so a test can tell which parts of tracing were loaded.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.MODULE_LOG_FILE && /@opentelemetry|\/tracing\//.test(resolved.url)) appendFileSync(process.env.MODULE_LOG_FILE, `${resolved.url}\n`);
  return resolved;
}

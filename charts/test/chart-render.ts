// helm-render for the chart tests: built once per test file, the chart rendered as release
// "orders" in namespace "shop" and parsed strictly (duplicate keys are errors).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const chart = join(repo, 'charts/order-service');
export const CRDS = ['--api-versions', 'monitoring.coreos.com/v1'];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

/** The workplace's helm-render: beside the checkout (../shared/tools), or where SHARED_TOOLS_DIR says, or /work/shared/tools. */
export function buildHelmRender(): string {
  const candidates = [process.env.SHARED_TOOLS_DIR, join(repo, '../shared/tools'), '/work/shared/tools']
    .filter((d): d is string => !!d)
    .map((d) => join(d, 'helm-render/build.sh'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`helm-render not found (looked for ${candidates.join(', ')}); set SHARED_TOOLS_DIR`);
  return execFileSync(found, { encoding: 'utf8' }).trim().split('\n').pop()!;
}

export function parseStrict(text: string): K8sObject[] {
  return parseAllDocuments(text, { uniqueKeys: true, strict: true })
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join('; '));
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function renderWith(helmRender: string, args: string[] = []): K8sObject[] {
  return parseStrict(execFileSync(helmRender, ['--release-name', 'orders', '--namespace', 'shop', ...args, chart], { encoding: 'utf8' }));
}

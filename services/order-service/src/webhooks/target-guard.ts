// SSRF guard for webhook endpoints: refuses loopback, private (RFC 1918, fc00::/7, CGNAT),
// link-local (169.254/16, fe80::/10, the cloud metadata address), unspecified, multicast and
// reserved addresses — at registration and again after DNS resolution at every delivery.
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32],
] as const) blocked.addSubnet(net, bits, 'ipv6');

/** True for an address no webhook may reach unless private targets are allowed. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return blocked.check(address, 'ipv4');
}

export interface TargetPolicy {
  allowPrivateTargets: boolean;
  allowHttp: boolean;
}

/** Why a URL may not be an endpoint before any lookup (scheme, credentials, a forbidden literal address), or null. */
export function urlProblem(text: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) return policy.allowHttp ? 'must be an http(s) URL' : 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (policy.allowPrivateTargets) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 ? isForbiddenAddress(host) : /(^|\.)localhost\.?$/i.test(host)) return 'must not point to a loopback, private, link-local or metadata address';
  return null;
}

/** Error thrown when a resolved address is forbidden (the worker records it as `forbidden_target`). */
export class ForbiddenTarget extends Error {
  constructor(readonly address: string) {
    super('the endpoint resolves to a forbidden address');
    this.name = 'ForbiddenTarget';
  }
}

/** At registration: the URL's problem, or a name that resolves (now) to a forbidden address; an unresolvable name is checked at delivery. */
export async function targetProblem(
  text: string,
  policy: TargetPolicy,
  lookupAll: (host: string) => Promise<string[]>,
): Promise<string | null> {
  const problem = urlProblem(text, policy);
  if (problem || policy.allowPrivateTargets) return problem;
  const host = new URL(text).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return null;
  const addresses = await lookupAll(host).catch(() => [] as string[]);
  return addresses.some(isForbiddenAddress) ? 'must not resolve to a loopback, private, link-local or metadata address' : null;
}

// Node 20 has no `navigator` global (Node 21+ has one): without it pg's Cloudflare-Workers check
// builds a `Response`, which loads undici, the global fetch the sidecar never uses (~6 MB of RSS).
// Imported before pg; where Node defines `navigator` itself this changes nothing.

declare global {
  var navigator: { userAgent: string } | undefined;
}

globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };

export {};

// The README and docs/ make sense on their own: every relative link points at a file of the
// repository and every #anchor at a heading of the page it names.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
const anchorsOf = (file: string) =>
  new Set(readFileSync(file, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => anchorOf(l.replace(/^#+ /, ''))));

test.each(pages)('%s: every relative link resolves', (page) => {
  const text = readFileSync(join(repo, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto
    const [path, anchor] = target!.split('#');
    const file = path ? resolve(repo, dirname(page), path) : join(repo, page);
    if (!existsSync(file)) broken.push(target!);
    else if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor)) broken.push(target!);
  }
  expect(broken).toEqual([]);
});

test('no page cites a document that is not in the repository', () => {
  for (const page of pages) expect([page, readFileSync(join(repo, page), 'utf8').includes('CONTRACTS.md')]).toEqual([page, false]);
});

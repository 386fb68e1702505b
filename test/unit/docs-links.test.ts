import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, brokenLink, documents, linkTargets, repositoryPaths, slug } from '../support/markdown.js';
import { read, root } from '../support/repository.js';

/** Paths the docs name that a user creates, not the repository: the load test's own settings. */
const CREATED_BY_USERS = new Set(['load-test/.env']);

describe('the docs', () => {
  const docs = documents();

  it('are read at all: the front door, the contributors’ guide and the rooms', () => {
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/strategies.md', 'docs/results/README.md']));
    expect(docs.flatMap((doc) => linkTargets(read(doc))).length).toBeGreaterThan(50);
  });

  it('link only to files that exist, and to headings those files have', () => {
    const broken = docs.flatMap((doc) => linkTargets(read(doc)).map((target) => brokenLink(doc, target))).filter(Boolean);
    expect(broken).toEqual([]);
  });

  it('name only repository paths that exist, so a file moved cannot leave a stale mention behind', () => {
    const missing = docs.flatMap((doc) =>
      repositoryPaths(read(doc))
        .filter((path) => !CREATED_BY_USERS.has(path) && !existsSync(join(root, path)))
        .map((path) => `${doc}: ${path}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('the readers of the docs (test/support/markdown.ts)', () => {
  it('make anchors as GitHub does', () => {
    expect(slug('`npm run load-locust`: both generators, one command')).toBe('npm-run-load-locust-both-generators-one-command');
    expect(slug('Was the coupon over-issued? By hand')).toBe('was-the-coupon-over-issued-by-hand');
    expect(slug('The **race**, [recorded](results/x.md)')).toBe('the-race-recorded');
    expect([...anchors('# Faults\n## Faults\n```sh\n# a comment, not a heading\n```\n### `redis-lock`\n')]).toEqual(['faults', 'faults-1', 'redis-lock']);
  });

  it('find links in prose, not in code', () => {
    expect(linkTargets('See [one](a.md#x) and\n[two\nlines](../b.md). `[not](c.md)`\n```\n[nor](d.md)\n```\n')).toEqual(['a.md#x', '../b.md']);
  });

  it('find repository paths in inline code and code blocks, but not patterns or placeholders', () => {
    const markdown =
      'In `src/lab.ts`, not `test/*.test.ts` nor `docs/results/<date>.md` nor `npm run x`.\n```sh\nlocust -f load-test/locustfile-hello.py\n```\n';
    expect(repositoryPaths(markdown)).toEqual(['src/lab.ts', 'load-test/locustfile-hello.py']);
  });

  it.each([
    ['a file that does not exist', 'docs/strategies.md', 'no-such-room.md'],
    ['a heading the file does not have', 'README.md', 'docs/faults.md#no-such-heading'],
    ['a heading of its own it does not have', 'docs/bench.md', '#no-such-heading'],
  ])('would report a link to %s', (_case, doc, target) => {
    expect(brokenLink(doc, target)).toMatch(/no such file|has no heading/);
  });

  it('let links to other sites and to headings that exist through', () => {
    expect(brokenLink('README.md', 'https://locust.io')).toBeUndefined();
    expect(brokenLink('README.md', 'docs/faults.md#the-fault-tests')).toBeUndefined();
    expect(brokenLink('docs/results/README.md', '../bench.md#writing-a-record')).toBeUndefined();
  });
});

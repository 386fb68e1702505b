import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { read, root } from './repository.js';

/**
 * Readers of the lab's Markdown, for the test that checks every link and every path the docs name
 * (test/unit/docs-links.test.ts). Plain regular expressions rather than a Markdown parser: the docs
 * use inline links, ATX headings and code, nothing more.
 */

/** The documents a user reads: README.md, CONTRIBUTING.md and everything under docs/. */
export function documents(): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => join('docs', file));
  return ['README.md', 'CONTRIBUTING.md', ...docs.sort()];
}

const FENCE = /^ *```[^\n]*\n[\s\S]*?^ *```[^\n]*$/gm;
const INLINE_CODE = /`[^`\n]+`/g;

/** The text outside fenced code blocks; each block's lines kept as blank lines, so line counts hold. */
export function prose(markdown: string): string {
  return markdown.replace(FENCE, (block) => block.replace(/[^\n]/g, ''));
}

/** The contents of the fenced code blocks. */
export function fencedCode(markdown: string): string[] {
  return [...markdown.matchAll(FENCE)].map(([block]) => block);
}

/** Every inline link's target, `[text](target)`, outside code. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown).replace(INLINE_CODE, '');
  return [...text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map(([, target]) => target!);
}

/**
 * The anchor GitHub gives a heading: its text as rendered (links, code and emphasis reduced to their
 * words), lower case, punctuation dropped, each space a hyphen.
 */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a document's headings; a repeated one gets `-1`, `-2`, … as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = slug(heading!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The folders whose files the docs name by path. */
const REPOSITORY_FOLDERS = ['src', 'test', 'bench', 'harness', 'deploy', 'load-test', 'lab-client', 'demo', 'bin', 'scripts', 'docs'];
const REPOSITORY_PATH = new RegExp(`^(?:${REPOSITORY_FOLDERS.join('|')})/[\\w./-]*$`);

/**
 * The repository paths a document names: inline code that is a path under one of those folders, and
 * such paths among the words of its code blocks. Patterns (`test/*.test.ts`) and placeholders
 * (`docs/results/<date>-<what>.md`) are not paths, and are left out by the pattern itself.
 */
export function repositoryPaths(markdown: string): string[] {
  const inline = [...prose(markdown).matchAll(INLINE_CODE)].map(([code]) => code.slice(1, -1));
  const inBlocks = fencedCode(markdown).flatMap((block) => block.split(/[\s"'`()=,;]+/));
  return [...inline, ...inBlocks].map((path) => path.replace(/[.:]+$/, '')).filter((path) => REPOSITORY_PATH.test(path));
}

/** What is wrong with one link of a document (a path relative to the root), or undefined if it resolves. */
export function brokenLink(document: string, target: string): string | undefined {
  if (/^[a-z][a-z+.-]*:/i.test(target)) return undefined; // https:, mailto:: not the repository's
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? document : relative(root, join(root, dirname(document), decodeURI(path)));
  if (!existsSync(join(root, file))) return `${document}: ${target} — no such file: ${file}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `${document}: ${target} — an anchor in a file that is not Markdown`;
  if (!anchors(read(file)).has(anchor)) return `${document}: ${target} — ${file} has no heading #${anchor}`;
  return undefined;
}

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareOutputFile, writeOutputFiles } from '../../bench/output/output-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coupon-lab-output-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('prepareOutputFile, before a run', () => {
  it('creates the missing folders, and leaves no file behind', async () => {
    await prepareOutputFile(join(dir, 'a', 'b', 'r.json'));
    expect(await readdir(join(dir, 'a', 'b'))).toEqual([]);
  });

  it('leaves a file that is there as it is', async () => {
    await writeFile(join(dir, 'r.json'), 'before');
    await prepareOutputFile(join(dir, 'r.json'));
    expect(await readFile(join(dir, 'r.json'), 'utf8')).toBe('before');
  });

  // Root passes every permission check there; only creating the file tells. A recursive mkdir
  // under /proc spins for ever in Node 20: this test would time out.
  it.each([
    ['/proc/r.html', 'cannot write /proc/r.html: nothing can be created there'],
    ['/proc/x/f.html', 'cannot write /proc/x/f.html: nothing can be created there'],
  ])('refuses %s in one line, at once', async (path, line) => {
    await expect(prepareOutputFile(path)).rejects.toThrow(line);
  });

  it('refuses a folder, and a path through a file', async () => {
    await writeFile(join(dir, 'a-file'), '');
    await expect(prepareOutputFile(dir)).rejects.toThrow(`cannot write ${dir}: it is a folder`);
    await expect(prepareOutputFile(join(dir, 'a-file', 'r.json'))).rejects.toThrow('a part of its path is a file, not a folder');
  });
});

describe('writeOutputFiles, at the end of a run', () => {
  it('writes each file asked for and says so, one line each', async () => {
    const said: string[] = [];
    const written = await writeOutputFiles(
      [
        { path: join(dir, 'r.json'), text: '{}' },
        { path: undefined, text: 'not asked for' },
      ],
      (line) => said.push(line),
    );
    expect(written).toBe(true);
    expect(said).toEqual([`wrote ${join(dir, 'r.json')}`]);
    expect(await readFile(join(dir, 'r.json'), 'utf8')).toBe('{}');
  });

  it('writes a file it cannot write where asked (its folder became a file during the run) to a temporary folder, and says where', async () => {
    const path = join(dir, 'reports', 'r.json');
    await prepareOutputFile(path);
    await rm(join(dir, 'reports'), { recursive: true });
    await writeFile(join(dir, 'reports'), 'in the way');
    const said: string[] = [];
    expect(await writeOutputFiles([{ path, text: '{"ok":true}' }], (line) => said.push(line))).toBe(false);
    expect(said).toEqual([expect.stringMatching(/^cannot write .*: a part of its path is a file, not a folder; wrote it to (\S+) instead$/)]);
    const instead = /wrote it to (\S+) instead$/.exec(said[0]!)![1]!;
    try {
      expect(await readFile(instead, 'utf8')).toBe('{"ok":true}');
    } finally {
      await rm(join(instead, '..'), { recursive: true, force: true });
    }
  });
});

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';

/**
 * A data directory under os.tmpdir() that cannot outlive this Node process, nor can the server
 * running in it.
 *
 * A small `sh` guard creates the directory and then reads lines from a pipe whose writing end only
 * this process holds: each line is the pid of the server now running there (the leader of its own
 * process group), or empty once it has exited. The pipe reaches end of input when `remove()`
 * closes it, or when this process ends in any way — SIGKILL and crashes included, since the kernel
 * closes a dead process's descriptors. Then the guard kills the server's process group with SIGKILL
 * and removes the directory. Nothing in this process has to run for that to happen. (Should it die
 * between a server's exit and telling the guard, the guard signals a pid just freed: the kernel
 * does not hand it to another process that fast.)
 */
export interface GuardedDir {
  readonly path: string;
  /** Tells the guard which server to kill if this process dies: its pid, or undefined once it exited. */
  watch(pid: number | undefined): void;
  /** Kills the watched server, if any, removes the directory and resolves once both are done. */
  remove(): Promise<void>;
}

// mktemp in the guard itself, so that no moment exists where the directory is there unguarded.
// Then its output goes to /dev/null: Node stops reading it, and a pipe nobody reads must not be
// what kills the guard (SIGPIPE) or keeps a parent of Node waiting for end of output.
// rm -rf runs until the directory is gone: a server killed a moment ago may still be creating a
// file in it, and once the directory itself is unlinked nothing can create files there any more.
const GUARD_SCRIPT = `
dir=$(mktemp -d "$1") || exit 1
echo "$dir"
exec >/dev/null 2>&1
pid=
while IFS= read -r line; do pid=$line; done
if [ -n "$pid" ]; then kill -KILL -"$pid"; fi
tries=0
while [ -e "$dir" ] && [ "$tries" -lt 200 ]; do
  rm -rf "$dir" || sleep 0.05
  tries=$((tries + 1))
done
[ ! -e "$dir" ]
`;

/** Creates `os.tmpdir()/coupon-lab-<kind>-XXXXXX` under a guard. */
export async function guardedDir(kind: string): Promise<GuardedDir> {
  const template = join(tmpdir(), `coupon-lab-${kind}-XXXXXX`);
  // detached: a group of its own, so Ctrl-C on the terminal kills Node but not the guard.
  const guard = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'coupon-lab-guard', template], { detached: true });
  const exited = new Promise<number | null>((resolve) => guard.once('exit', (code) => resolve(code)));
  const path = await createdPath(guard, exited);
  guard.stdout.destroy();
  guard.stderr.destroy();
  // The guard only stops reading once we close the pipe; a write failing means someone else
  // killed it, and then there is nobody left to tell.
  guard.stdin.on('error', () => {});
  // Neither keeps Node alive: a program that forgets stop() still exits, and its exit is what
  // makes the guard clean up.
  guard.unref();
  (guard.stdin as Socket).unref();
  let removing: Promise<void> | undefined;
  return {
    path,
    watch: (pid) => void guard.stdin.write(`${pid ?? ''}\n`),
    remove() {
      removing ??= (async () => {
        guard.ref(); // keep Node alive until the directory is gone
        guard.stdin.end();
        const code = await exited;
        if (code !== 0) throw new Error(`could not remove ${path} (guard exited with ${code})`);
      })();
      return removing;
    },
  };
}

/** The directory the guard created: the first line it prints, or an error with what it said instead. */
function createdPath(guard: ChildProcessWithoutNullStreams, exited: Promise<number | null>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    guard.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    guard.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    guard.once('error', reject);
    void exited.then((code) => reject(new Error(`could not create a private data directory (${code}): ${err.trim()}`)));
  });
}

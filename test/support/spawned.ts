import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A lab process's JSON log line. */
export type LogLine = Record<string, unknown> & { msg: string };

export interface WatchedLog {
  /** Every JSON line read so far, in order. */
  lines: LogLine[];
  /** The first line whose `msg` is `message`; rejected if the process exits before it writes one. */
  logged(message: string): Promise<LogLine>;
  /** Resolved once stderr has ended: every process that held it has exited, and every line is read. */
  ended: Promise<void>;
}

/** The JSON log lines a process writes on stderr, as they come. */
export function watchLog(child: ChildProcess): WatchedLog {
  const lines: LogLine[] = [];
  const waiting = new Map<string, (line: LogLine) => void>();
  const reader = createInterface({ input: child.stderr! });
  const ended = once(reader, 'close').then(() => undefined);
  reader.on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    waiting.get(line.msg)?.(line);
  });
  const exited = once(child, 'exit');
  return {
    lines,
    ended,
    logged: (message) =>
      Promise.race([
        new Promise<LogLine>((resolve) => {
          const seen = lines.find((line) => line.msg === message);
          if (seen) resolve(seen);
          else waiting.set(message, resolve);
        }),
        exited.then(([code, signal]) => {
          throw new Error(`exited (${code ?? signal}) before logging "${message}"`);
        }),
      ]),
  };
}

/** The pids of the processes below `pid`, children first, read from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const parent = parentOf(Number(entry));
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const below = (of: number): number[] => (children.get(of) ?? []).flatMap((child) => [child, ...below(child)]);
  return below(pid);
}

/** Whether the process runs: it exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function parentOf(pid: number): number | undefined {
  return procStat(pid)?.ppid;
}

/** The state and parent in /proc/<pid>/stat; the command name before them may hold spaces and parentheses. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: state!, ppid: Number(ppid) };
}

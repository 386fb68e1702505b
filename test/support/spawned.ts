import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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

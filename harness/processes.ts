import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether a process runs: a child started here that has not exited, or a pid that exists and is
 * not a zombie waiting to be reaped (read from /proc).
 */
export function alive(target: ChildProcess | number): boolean {
  if (typeof target !== 'number') return target.exitCode === null && target.signalCode === null;
  const stat = procStat(target);
  return stat !== undefined && stat.state !== 'Z';
}

/** The pids of the processes below `pid`, children first, read from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of pids()) {
    const parent = procStat(entry)?.ppid;
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  const below = (of: number): number[] => (children.get(of) ?? []).flatMap((child) => [child, ...below(child)]);
  return below(pid);
}

/**
 * The pids of the live processes (zombies aside) in the process group `pgid`, read from /proc: a
 * group's leader may be gone while others of it still run (RabbitMQ's EPMD, a dying Erlang VM).
 */
export function groupMembers(pgid: number): number[] {
  return pids().filter((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.pgrp === pgid;
  });
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The state, parent and process group in /proc/<pid>/stat; the command name before them may hold spaces and parentheses. */
function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const [state, ppid, pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: state!, ppid: Number(ppid), pgrp: Number(pgrp) };
}

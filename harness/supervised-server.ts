import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { GuardedDir } from './guarded-dir.js';
import { groupMembers } from './processes.js';

/** Longest wait for the rest of a server's process group once its leader has exited. */
const GROUP_EXIT_MS = 5_000;

/** What a private server is started with, and how to tell it is ready. */
export interface ServerSpec {
  /** Names the instance in errors: `private redis on 127.0.0.1:23456`. */
  name: string;
  /** Asked at every start, so a restart may use other arguments; `env` is added to this process's environment. */
  command(): { binary: string; args: string[]; env?: Record<string, string> };
  /** Where the server's stdout and stderr go; its tail is quoted in errors. */
  logPath: string;
  /**
   * One attempt at using the server with this pid: resolves once it serves, rejects (with why)
   * until then. It checks the pid (or something only this server has), since whatever answers on
   * the port may be another process that took it while this one was down.
   */
  probe(pid: number): Promise<void>;
  startTimeoutMs?: number;
}

/** One server process at a time in one guarded directory: started, killed, paused, restarted. */
export interface SupervisedServer {
  /** The running server's pid (the leader of its own process group), undefined while it is down. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** Kills the server and removes its directory; idempotent. */
  stop(): Promise<void>;
}

/** A private Redis, MariaDB or RabbitMQ: the server, where clients reach it, and its data directory. */
export interface PrivateInstance extends SupervisedServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  exit?: string;
  paused: boolean;
}

/** Every instance not yet stopped, so that `stopAllInstances()` can reach those a caller lost. */
const live = new Set<SupervisedServer>();

export async function stopAllInstances(): Promise<void> {
  await Promise.all([...live].map((server) => server.stop()));
}

export function superviseServer(dir: GuardedDir, spec: ServerSpec): SupervisedServer {
  let running: Running | undefined;
  let stopping: Promise<void> | undefined;

  const server: SupervisedServer = {
    get pid() {
      return running?.child.pid;
    },
    async start() {
      if (stopping) throw new Error(`${spec.name} has been stopped`);
      if (running) throw new Error(`${spec.name} is already running`);
      const current = await spawnServer(spec, dir);
      running = current;
      void current.exited.then(() => {
        if (running === current) running = undefined;
      });
      await awaitReady(current);
    },
    async kill(signal = 'SIGKILL') {
      const current = running;
      if (!current) return;
      current.child.ref(); // keep Node alive until it has exited
      signalGroup(current, signal);
      // A stopped process acts on any signal but SIGKILL only once continued.
      if (current.paused && signal !== 'SIGKILL') signalGroup(current, 'SIGCONT');
      await current.exited;
      // The rest of its group may still be dying, holding ports a restart needs (RabbitMQ's VM, its EPMD).
      await groupExited(current.child.pid!);
    },
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    stop() {
      stopping ??= (async () => {
        await server.kill('SIGKILL');
        await dir.remove();
        live.delete(server);
      })();
      return stopping;
    },
  };

  function setPaused(paused: boolean): void {
    if (!running) throw new Error(`${spec.name} is not running`);
    signalGroup(running, paused ? 'SIGSTOP' : 'SIGCONT');
    running.paused = paused;
  }

  async function awaitReady(current: Running): Promise<void> {
    const timeoutMs = spec.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (running !== current) throw await startFailure(spec, `exited while starting (${current.exit})`);
      try {
        return await spec.probe(current.child.pid!);
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        await server.kill('SIGKILL');
        const why = lastError instanceof Error ? lastError.message : String(lastError);
        throw await startFailure(spec, `did not answer within ${timeoutMs} ms (last: ${why})`);
      }
      await delay(25);
    }
  }

  live.add(server);
  return server;
}

async function spawnServer(spec: ServerSpec, dir: GuardedDir): Promise<Running> {
  const { binary, args, env } = spec.command();
  const log = await open(spec.logPath, 'a');
  let child: ChildProcess;
  let failed: Promise<unknown[]> | undefined;
  try {
    // detached: the server leads a process group of its own, so Ctrl-C on the terminal does not
    // reach it, and a signal to the group reaches any child it forks too (Redis's BGSAVE).
    child = spawn(binary, args, { stdio: ['ignore', log.fd, log.fd], detached: true, env: { ...process.env, ...env } });
    // No pid: the spawn failed (ENOENT, EACCES), and says why in an 'error' event on the next tick,
    // before the log is closed. Listened for now: an 'error' nobody listens to ends the process.
    if (child.pid === undefined) failed = once(child, 'error');
  } finally {
    await log.close();
  }
  if (failed) {
    const [error] = (await failed) as [Error];
    throw new Error(`${spec.name} could not be started: ${error.message}`);
  }
  child.unref();
  dir.watch(child.pid);
  const current: Running = {
    child,
    paused: false,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        current.exit = signal ?? `code ${code}`;
        dir.watch(undefined);
        resolve();
      });
    }),
  };
  return current;
}

/** Resolves once no process of the group is left, at most GROUP_EXIT_MS after its leader exited. */
async function groupExited(pgid: number): Promise<void> {
  const deadline = Date.now() + GROUP_EXIT_MS;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) await delay(10);
}

function signalGroup(current: Running, signal: NodeJS.Signals): void {
  try {
    process.kill(-current.child.pid!, signal);
  } catch (error) {
    // Gone already: its exit event is on its way.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function startFailure(spec: ServerSpec, what: string): Promise<Error> {
  return new Error(`${spec.name} ${what}; the end of ${spec.logPath}:\n${await logTail(spec.logPath)}`);
}

/** The last lines of a log, for an error message. */
async function logTail(path: string, lines = 15): Promise<string> {
  const text = await readFile(path, 'utf8').catch((error: Error) => `(unreadable: ${error.message})`);
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { configEnv } from '../harness/server-process.js';
import { silentLog } from '../src/core/log.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { testConfig } from './support/config.js';
import { alive, descendants } from '../harness/processes.js';
import { watchLog } from './support/spawned.js';

/**
 * `kill -TERM <npm's pid>` (a process manager, `timeout`, CI stopping a job) must stop the lab as
 * Ctrl-C does. npm passes SIGTERM to its child, the shell running the script, which would die of it
 * and leave the lab running, orphaned, were the script not `exec`ing the CLI in the shell's place.
 */
const config = testConfig({ LOG_LEVEL: 'info' });
const env = { ...process.env, ...configEnv(config), npm_config_update_notifier: 'false' };

afterAll(async () => {
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
});

const scripts = [
  { script: 'start', args: ['--port', '0'], ready: 'server listening', address: 'url', what: 'server' },
  { script: 'consumer', args: ['--metrics-port', '0'], ready: 'consumer started', address: 'metrics', what: 'consumer' },
] as const;

describe.each(scripts)('npm run $script, then SIGTERM to npm', ({ script, args, ready, address, what }) => {
  it(`stops the ${what} gracefully: "${what} stopped" logged, its port closed, no process of the tree left`, async () => {
    const npm = spawn('npm', ['run', script, '--', ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const log = watchLog(npm);
    let tree: number[] = [];
    try {
      const { port } = new URL(String((await log.logged(ready))[address]));
      tree = descendants(npm.pid!);
      expect(tree.length, 'npm runs the lab in a process below it').toBeGreaterThan(0);

      const exited = once(npm, 'exit');
      npm.kill('SIGTERM');
      await exited;
      expect(tree.filter(alive), 'processes left running').toEqual([]);
      await log.ended;
      expect(log.lines.map((line) => line.msg)).toContain(`${what} stopped`);
      expect(await refused(Number(port))).toBe(true);
    } finally {
      for (const pid of [npm.pid!, ...tree].filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** Whether a connection to the port on this machine is refused: nothing listens there. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

import { describe, expect, it } from 'vitest';
import { createProgram } from '../../bin/program.js';
import { read } from '../support/repository.js';

/** The CLI's definition, as `--help` sees it: every command and option, without running any. */
const program = createProgram();
const packageJson = JSON.parse(read('package.json')) as { version: string; scripts: Record<string, string> };

describe('the npm scripts', () => {
  /** The scripts that run a command of the CLI, and that command. */
  const commandScripts = Object.entries(packageJson.scripts).flatMap(([script, line]) => {
    const command = /coupon-lab\.js (\S+)/.exec(line)?.[1];
    return command ? [[script, command]] : [];
  });

  it('run every command of the CLI, each under its own name', () => {
    expect(commandScripts.map(([, command]) => command).sort()).toEqual(program.commands.map((command) => command.name()).sort());
    for (const [script, command] of commandScripts) expect(script).toBe(command);
  });
});

describe('coupon-lab --version', () => {
  it("is package.json's version", () => {
    expect(program.version()).toBe(packageJson.version);
  });
});

describe("the commands' options", () => {
  const commands = program.commands;
  const command = (name: string) => commands.find((c) => c.name() === name)!;
  const longs = (name: string) => command(name).options.map((option) => option.long);

  it('are read from the definitions at all', () => {
    expect(commands.length).toBeGreaterThan(8);
    expect(longs('bench')).toContain('--users');
  });

  it.each(['start', 'consumer', 'demo', 'bench', 'bench-micro', 'load-locust', 'load-autocannon'])(
    '%s, which connects to MySQL and Redis, takes --mysql-url, --redis-url and --redis-cluster',
    (name) => {
      expect(longs(name)).toEqual(expect.arrayContaining(['--mysql-url', '--redis-url', '--redis-cluster']));
    },
  );

  it('migrate, which connects to MySQL only, takes --mysql-url', () => {
    expect(longs('migrate')).toContain('--mysql-url');
  });

  it('each show their default in --help, when they take a value', () => {
    const help = (name: string) => command(name).createHelp();
    const missing = commands.flatMap((c) =>
      c.options
        .filter((option) => (option.required || option.optional) && !option.hidden)
        .filter((option) => !/\bdefault\b|\bnone\b/.test(help(c.name()).optionDescription(option)))
        .map((option) => `${c.name()} ${option.long}`),
    );
    expect(missing).toEqual([]);
  });

  it('give a short flag one meaning in every command', () => {
    const meanings = new Map<string, Set<string>>();
    for (const option of commands.flatMap((c) => c.options)) {
      if (option.short) meanings.set(option.short, new Set([...(meanings.get(option.short) ?? []), option.long!]));
    }
    const ambiguous = [...meanings].filter(([, longs]) => longs.size > 1).map(([short, longs]) => `${short}: ${[...longs].join(', ')}`);
    expect(ambiguous).toEqual([]);
  });
});

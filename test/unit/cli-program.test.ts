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

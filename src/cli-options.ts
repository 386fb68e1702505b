import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, loadConfig, type Config, type Env } from './core/config.js';
import { configureLog } from './core/log.js';

/** Parses an option that must be a whole number from `min` to `max`, naming the range if not. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return value;
  };
}

/** Parses `a,b,c` or `all` into names from `allowed`, naming the unknown ones and the choices if any. */
export function nameList<T extends string>(allowed: readonly T[]): (text: string) => T[] {
  return (text) => {
    if (text === 'all') return [...allowed];
    const names = text.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !(allowed as readonly string[]).includes(name));
    if (unknown.length) throw new InvalidArgumentError(`unknown ${unknown.join(', ')}; choose from ${allowed.join(', ')} or all`);
    return names as T[];
  };
}

/**
 * The configuration from the environment and the command's flags, with the log level set from it.
 * A bad value ends the command with the message naming it (exit status 2), not a stack trace.
 */
export function loadConfigOrExit(command: Command, overrides: Env = {}): Config {
  try {
    const config = loadConfig(process.env, overrides);
    configureLog(config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) command.error(error.message, { exitCode: 2, code: 'coupon-lab.config' });
    throw error;
  }
}

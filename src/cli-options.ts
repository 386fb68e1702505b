import { InvalidArgumentError, Option, type Command } from 'commander';
import { CONFIG_DEFAULTS, MYSQL_URL_FORM } from './core/config-defaults.js';
import type { Env } from './core/config.js';
import { wholeNumberRange } from './core/whole-numbers.js';
import { STRATEGY_NAMES } from './strategies/names.js';

// The commands' definitions import this module, so `coupon-lab --help` does: it stays free of the
// configuration's schema, the drivers and the strategies (those are in cli-runtime.ts, for the actions).

/** Parses an option that must be a whole number from `min` to `max`, naming the range if not. */
export function wholeNumber(min: number, max?: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || (max !== undefined && value > max)) {
      throw new InvalidArgumentError(`It must be a whole number ${wholeNumberRange(min, max)}.`);
    }
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

/** `-s, --strategy <names>`: the strategies a command runs, every one unless told. */
export function strategiesOption(): Option {
  return new Option('-s, --strategy <names>', `a strategy, a comma list, or all (${STRATEGY_NAMES.join(', ')})`)
    .argParser(nameList(STRATEGY_NAMES))
    .default([...STRATEGY_NAMES], 'all');
}

/**
 * Parses a duration the way every command takes one: `30` (seconds), `30s`, `2m`, `1h` or `1m30s`,
 * into whole seconds from `minS` to `maxS`; refused with the forms it takes.
 */
export function duration(minS: number, maxS: number): (text: string) => number {
  const shown = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);
  return (text) => {
    // Hours, minutes, seconds; a bare number is seconds.
    const parts = /^\d+$/.test(text) ? [undefined, undefined, text] : /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text)?.slice(1);
    const seconds = text && parts ? Number(parts[0] ?? 0) * 3600 + Number(parts[1] ?? 0) * 60 + Number(parts[2] ?? 0) : NaN;
    if (!(seconds >= minS && seconds <= maxS)) {
      throw new InvalidArgumentError(`It must be a duration such as 30 (seconds), 30s, 2m or 1m30s, from ${shown(minS)} to ${shown(maxS)}.`);
    }
    return seconds;
  };
}

type SettingKey = keyof Env;

/** The setting each option made by settingOption sets, when given. */
const SETTINGS = new WeakMap<Option, SettingKey>();

/**
 * An option that sets one of the lab's settings (src/core/config.ts) for this run: given, it wins
 * over the environment variable, which wins over the default; its help shows both, as commander
 * shows an option read from the environment. `shownDefault` for a setting whose default is not
 * the configuration's (the consumer's metrics port).
 */
export function settingOption(flags: string, description: string, key: SettingKey, shownDefault?: string | number | boolean): Option {
  const fallback = shownDefault ?? (CONFIG_DEFAULTS as Partial<Record<SettingKey, string | number | boolean>>)[key];
  const option = new Option(flags, `${description} (${fallback === undefined ? '' : `default: ${fallback}, `}env: ${key})`);
  SETTINGS.set(option, key);
  return option;
}

/** What the options made by settingOption set on this command line: the setting, its text, the flag that gave it. */
export function settingsGiven(command: Command): { key: SettingKey; value: string; flag: string }[] {
  return command.options.flatMap((option) => {
    const key = SETTINGS.get(option);
    const name = option.attributeName();
    if (!key || command.getOptionValueSource(name) !== 'cli') return [];
    return [{ key, value: String(command.getOptionValue(name)), flag: option.long ?? option.flags }];
  });
}

// --mysql-url, --redis-url and --redis-cluster: alike in every command that connects to MySQL or
// Redis; a note adds what the command does with them.

export function mysqlUrlOption(note?: string): Option {
  return settingOption('--mysql-url <url>', `MySQL, as ${MYSQL_URL_FORM}${note ? `; ${note}` : ''}`, 'MYSQL_URL');
}

export function redisUrlOption(note?: string): Option {
  return settingOption('--redis-url <url>', `Redis, or with --redis-cluster a cluster's nodes, comma-separated${note ? `; ${note}` : ''}`, 'REDIS_URL');
}

export function amqpUrlOption(): Option {
  return settingOption('--amqp-url <url>', 'RabbitMQ, as amqp://user:password@host:5672, for the broker strategies', 'AMQP_URL');
}

export function redisClusterOption(): Option {
  return settingOption('--redis-cluster', '--redis-url names the nodes of a Redis Cluster', 'REDIS_CLUSTER');
}

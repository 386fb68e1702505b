import { InvalidArgumentError } from 'commander';

// The commands' definitions import this module, so `coupon-lab --help` does: it stays free of the
// configuration, the drivers and the strategies (those are in cli-runtime.ts, for the actions).

/** Parses an option that must be a whole number from `min` to `max`, naming the range if not (no max: no 2^53 − 1). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  const n = (value: number) => value.toLocaleString('en-US');
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${n(min)}` : `from ${n(min)} to ${n(max)}`;
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new InvalidArgumentError(`It must be a whole number ${range}.`);
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

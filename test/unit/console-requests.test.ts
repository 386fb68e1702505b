import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../../src/strategies/names.js';
import { RACE_LIMITS } from '../../bench/settings.js';
import type { Catalog } from '../../console/contract.js';
import { ConsoleError } from '../../console/errors.js';
import { parseFaultRequest, parseRaceRequest } from '../../console/requests.js';
import { wholeNumber } from '../../src/cli-options.js';

const race = { strategies: ['unsafe', 'lua'], users: 400, requestsPerUser: 1, quantity: 50, concurrency: 100, instances: [1, 2], repeat: 1 };

/** What the CLI says of the same value: the console must say the same. */
function cliSays(min: number, max: number, text: string): string {
  try {
    wholeNumber(min, max)(text);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.message;
  }
  throw new Error(`the CLI took ${text}`);
}

function refusal(parse: () => unknown): { code: string; message: string } {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConsoleError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the request was taken');
}

describe("the console's race request", () => {
  it('takes what the CLI takes, at its bounds too', () => {
    expect(parseRaceRequest(race)).toEqual(race);
    const { users, requestsPerUser, quantity, concurrency, repeat } = RACE_LIMITS;
    const largest = {
      ...race,
      users: users.max,
      requestsPerUser: requestsPerUser.max,
      quantity: quantity.max,
      concurrency: concurrency.max,
      repeat: repeat.max,
    };
    expect(parseRaceRequest(largest)).toEqual(largest);
  });

  it.each(['users', 'requestsPerUser', 'quantity', 'concurrency', 'repeat'] as const)('refuses %s past the CLI’s limits, in the CLI’s words', (field) => {
    const { min, max } = RACE_LIMITS[field];
    for (const value of [min - 1, max + 1, 1.5]) {
      const { code, message } = refusal(() => parseRaceRequest({ ...race, [field]: value }));
      expect(code).toBe('INVALID_REQUEST');
      expect(message).toBe(`${field}: ${cliSays(min, max, String(value)).replace(/^It/, 'it')}`);
    }
    expect(refusal(() => parseRaceRequest({ ...race, [field]: String(min) })).code).toBe('INVALID_REQUEST');
  });

  it('refuses a runaway crowd: more users than the CLI allows', () => {
    expect(refusal(() => parseRaceRequest({ ...race, users: 10 ** 12 })).message).toBe('users: it must be a whole number from 1 to 1,000,000.');
  });

  it('refuses unknown strategies, naming them and the choices', () => {
    expect(refusal(() => parseRaceRequest({ ...race, strategies: ['unsafe', 'nope'] })).message).toBe(
      `strategies: unknown nope; choose from ${STRATEGY_NAMES.join(', ')} or all`,
    );
    expect(refusal(() => parseRaceRequest({ ...race, strategies: [] })).message).toBe('strategies: a list of strategy names is expected');
  });

  it('takes each process count once, within the CLI’s bounds', () => {
    expect(parseRaceRequest({ ...race, instances: [2, 1, 2] }).instances).toEqual([2, 1]);
    expect(refusal(() => parseRaceRequest({ ...race, instances: [17] })).message).toBe('instances: it must be a whole number from 1 to 16.');
    expect(refusal(() => parseRaceRequest({ ...race, instances: 1 })).code).toBe('INVALID_REQUEST');
  });

  it('refuses a body that is not an object', () => {
    expect(refusal(() => parseRaceRequest([race])).message).toBe('body: a JSON object is expected');
  });
});

describe("the console's fault request", () => {
  const catalog = { faults: [{ fault: 'server-kill', variants: [{ what: '' }], reaches: ['record-lock', 'lua'] }] } as unknown as Catalog;

  it('takes a fault the bench knows and strategies it reaches', () => {
    expect(parseFaultRequest({ fault: 'server-kill', strategies: ['record-lock', 'unsafe'] }, catalog)).toEqual({
      fault: 'server-kill',
      strategies: ['record-lock', 'unsafe'],
    });
  });

  it('refuses an unknown fault, and strategies the fault reaches none of', () => {
    expect(refusal(() => parseFaultRequest({ fault: 'meteor', strategies: ['lua'] }, catalog)).message).toBe('fault: choose one of server-kill');
    expect(refusal(() => parseFaultRequest({ fault: 'server-kill', strategies: ['unsafe'] }, catalog)).message).toBe(
      'strategies: server-kill reaches none of these; it reaches record-lock, lua',
    );
  });
});

import { InvalidArgumentError } from 'commander';
import { RACE_LIMITS } from '../bench/settings.js';
import { nameList, wholeNumber } from '../src/cli-options.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/names.js';
import type { Catalog, FaultRequest, RaceRequest } from './contract.js';
import { ConsoleError } from './errors.js';

// The page's requests, checked with the CLI's own parsers and limits (bench/settings.ts): the page
// can ask for no crowd the CLI would refuse.

type Fields = Record<string, unknown>;

export function parseRaceRequest(body: unknown): RaceRequest {
  const fields = object(body);
  return {
    strategies: strategies(fields),
    users: whole(fields, 'users'),
    requestsPerUser: whole(fields, 'requestsPerUser'),
    quantity: whole(fields, 'quantity'),
    concurrency: whole(fields, 'concurrency'),
    instances: instances(fields),
    repeat: whole(fields, 'repeat'),
  };
}

/** A fault the bench knows, and strategies of which it reaches at least one. */
export function parseFaultRequest(body: unknown, catalog: Catalog): FaultRequest {
  const fields = object(body);
  const entry = catalog.faults.find((fault) => fault.fault === fields.fault);
  if (!entry) throw invalid('fault', `choose one of ${catalog.faults.map((fault) => fault.fault).join(', ')}`);
  const chosen = strategies(fields);
  if (!chosen.some((name) => entry.reaches.includes(name))) {
    throw invalid('strategies', `${entry.fault} reaches none of these; it reaches ${entry.reaches.join(', ')}`);
  }
  return { fault: entry.fault, strategies: chosen };
}

function object(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConsoleError('INVALID_REQUEST', 'body: a JSON object is expected');
  return body as Fields;
}

function whole(fields: Fields, key: Exclude<keyof RaceRequest, 'strategies' | 'instances'>): number {
  const { min, max } = RACE_LIMITS[key];
  return parsed(key, () => wholeNumber(min, max)(asText(fields[key])));
}

function instances(fields: Fields): number[] {
  const { min, max } = RACE_LIMITS.instances;
  const list = fields.instances;
  if (!Array.isArray(list) || list.length === 0) throw invalid('instances', 'a list of server process counts is expected, e.g. [1, 2]');
  const counts = list.map((count) => parsed('instances', () => wholeNumber(min, max)(asText(count))));
  return [...new Set(counts)];
}

function strategies(fields: Fields): StrategyName[] {
  const list = fields.strategies;
  if (!Array.isArray(list) || list.length === 0 || !list.every((name) => typeof name === 'string' && !name.includes(','))) {
    throw invalid('strategies', 'a list of strategy names is expected');
  }
  return [...new Set(parsed('strategies', () => nameList(STRATEGY_NAMES)(list.join(','))))];
}

/** A number as the CLI would have read it from its command line; anything else matches none of its forms. */
function asText(value: unknown): string {
  return typeof value === 'number' ? String(value) : '';
}

function parsed<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw invalid(field, error.message.replace(/^It/, 'it'));
    throw error;
  }
}

function invalid(field: string, why: string): ConsoleError {
  return new ConsoleError('INVALID_REQUEST', `${field}: ${why}`);
}

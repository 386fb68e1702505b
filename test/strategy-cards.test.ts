import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../src/lab.js';
import { STRATEGY_NAMES } from '../src/strategies/index.js';
import { testConfig } from './support/config.js';
import { root } from './support/repository.js';

/**
 * Every registered strategy tells a person how it guards the quantity (the console's cards): a
 * strategy added without one fails the typecheck, and one added with an empty one fails here.
 */
let lab: Lab;
beforeAll(() => {
  lab = createLab(testConfig());
});
afterAll(() => lab.close());

describe.each(STRATEGY_NAMES)('the card of %s', (name) => {
  it('lists the steps of a request, what it needs and its pitfall', () => {
    const { card } = lab.strategies[name];
    expect(card.steps.length).toBeGreaterThanOrEqual(2);
    expect(card.steps.length).toBeLessThanOrEqual(6);
    for (const step of card.steps) expect(step.trim()).not.toBe('');
    expect(card.needs.trim()).not.toBe('');
    expect(card.pitfall.trim()).not.toBe('');
  });

  it('sits in the file the console links to: src/strategies/<name>.ts', () => {
    expect(existsSync(join(root, 'src', 'strategies', `${name}.ts`))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { strategiesToRun } from '../../bench/faults/choose.js';
import { rowsBeyondYes } from '../../bench/faults/notes.js';
import type { Scenario } from '../../bench/faults/scenario.js';
import type { IssueStrategy } from '../../src/strategies/index.js';

/** Strategies as the fault bench sees them: a name, a protection, what they use, their variants. */
const strategy = (name: string, protection: IssueStrategy['protection'], variants?: Record<string, object>) =>
  ({ name, protection, uses: ['mysql', 'redis'], asynchronous: false, ...(variants ? { variants } : {}) }) as unknown as IssueStrategy;
const strategies = {
  mutex: strategy('mutex', 'process'),
  'redis-lock': strategy('redis-lock', 'lease', { watchdog: { LOCK_WATCHDOG: 'true' } }),
  lua: strategy('lua', 'global'),
};
const everyStrategy = { reaches: 'every' } as Scenario;
const names = (groups: Map<string, IssueStrategy[]>) => [...groups].map(([variant, group]) => [variant, group.map((s) => s.name)]);

describe('the strategies a fault runs', () => {
  it('by default: those that claim to hold across processes, each with its variants', () => {
    expect(names(strategiesToRun(strategies, everyStrategy, undefined))).toEqual([
      ['', ['redis-lock', 'lua']],
      ['watchdog', ['redis-lock']],
    ]);
  });

  it('asked for by name: those alone, no variant unasked', () => {
    expect(names(strategiesToRun(strategies, everyStrategy, ['lua', 'redis-lock']))).toEqual([['', ['lua', 'redis-lock']]]);
  });

  it('a variant named, as redis-lock:watchdog: that variant, with or without the strategy itself', () => {
    expect(names(strategiesToRun(strategies, everyStrategy, ['redis-lock:watchdog']))).toEqual([['watchdog', ['redis-lock']]]);
    expect(names(strategiesToRun(strategies, everyStrategy, ['redis-lock:watchdog', 'mutex', 'redis-lock']))).toEqual([
      ['', ['mutex', 'redis-lock']],
      ['watchdog', ['redis-lock']],
    ]);
  });

  it('only those the fault reaches', () => {
    const asynchronousOnly = { reaches: 'asynchronous' } as Scenario;
    expect(names(strategiesToRun(strategies, asynchronousOnly, ['lua', 'redis-lock:watchdog']))).toEqual([]);
  });
});

describe("a fault run's note on rows beyond the yes answers", () => {
  it('says that a request whose answer was cut off was issued all the same', () => {
    expect(rowsBeyondYes(300, 299, 4)).toBe('1 row beyond the 299 yes answers: issued for a request whose answer was cut off (4 got none) or was an error');
    expect(rowsBeyondYes(300, 297, 4)).toMatch(/^3 rows beyond the 297 yes answers: issued for requests whose/);
  });

  it('says nothing when every row was answered yes', () => {
    expect(rowsBeyondYes(300, 300, 4)).toBeUndefined();
    expect(rowsBeyondYes(290, 300, 0)).toBeUndefined();
  });
});

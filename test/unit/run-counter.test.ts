import { describe, expect, it } from 'vitest';
import { roughly, RunCounter } from '../../bench/output/run-counter.js';

describe("the bench's run counter", () => {
  it('says run k of n, and once a run was timed, about how long is left at the pace so far', () => {
    let now = 0;
    const runs = new RunCounter(24, () => now);
    expect(runs.next()).toBe('run 1 of 24');
    now = 5_000; // the first run took 5 s: 23 to go
    expect(runs.next()).toBe('run 2 of 24, about 2 min left'); // 115 s
    now = 12_000; // two runs in 12 s: 6 s each, 22 to go
    expect(runs.next()).toBe('run 3 of 24, about 2 min 10 s left');
  });

  it.each([
    [400, '1 s'],
    [42_000, '42 s'],
    [130_000, '2 min 10 s'],
    [178_000, '3 min'],
    [3_900_000, '1 h 5 min'],
  ])('rounds %i ms to %s', (ms, text) => {
    expect(roughly(ms)).toBe(text);
  });
});

import { describe, expect, it } from 'vitest';
import { duration, wholeNumber } from '../../src/cli-options.js';

describe('duration, the one parser of every --duration', () => {
  const upToAnHour = duration(1, 3600);

  it.each([
    ['5', 5],
    ['5s', 5],
    ['2m', 120],
    ['1m30s', 90],
    ['1h', 3600],
  ])('takes %s as %i s', (text, seconds) => {
    expect(upToAnHour(text)).toBe(seconds);
  });

  it.each(['', '0', '2x', '1.5', '5 s', '1h30', '3601', '-5', 'm'])('refuses %j, naming the forms it takes and the range', (text) => {
    expect(() => upToAnHour(text)).toThrow('It must be a duration such as 30 (seconds), 30s, 2m or 1m30s, from 1 s to 1 h.');
  });
});

describe('wholeNumber', () => {
  it('takes a whole number in its range, and refuses anything else naming the range', () => {
    expect(wholeNumber(1, 16)('16')).toBe(16);
    expect(() => wholeNumber(1, 16)('17')).toThrow('It must be a whole number from 1 to 16.');
    expect(() => wholeNumber(1)('1e3')).toThrow('It must be a whole number of at least 1.');
  });
});

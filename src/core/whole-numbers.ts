/** `from 1 to 16`, or `of at least 1` with no upper bound: a range of whole numbers in words, as the CLI and the settings refuse a number outside it. */
export function wholeNumberRange(min: number, max?: number): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return max === undefined ? `of at least ${n(min)}` : `from ${n(min)} to ${n(max)}`;
}

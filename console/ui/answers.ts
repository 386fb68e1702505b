import type { Answers } from '../../lab-client/tally.js';

/** The kinds of answer a lane counts apart, in the order it shows them. */
export const KINDS = [
  { kind: 'success', label: 'issued / accepted', color: '#2e7d32' },
  { kind: 'soldOut', label: 'sold out', color: '#5b6b78' },
  { kind: 'already', label: 'already', color: '#7b1fa2' },
  { kind: 'unavailable', label: '503', color: '#c77700' },
  { kind: 'other', label: 'other', color: '#c62828' },
] as const;

export type Kind = (typeof KINDS)[number]['kind'];
export type Counts = Record<Kind, number>;

export const NO_ANSWERS: Counts = { success: 0, soldOut: 0, already: 0, unavailable: 0, other: 0 };

/** A crowd's answers by kind: errors whose code the server answers 503 ("try again") apart from the rest. */
export function countKinds(answers: Answers, unavailableCodes: ReadonlySet<string>): Counts {
  const counts = { ...NO_ANSWERS, success: answers.success, soldOut: answers.soldOut, already: answers.alreadyIssued };
  for (const [code, n] of Object.entries(answers.errors)) {
    if (unavailableCodes.has(code)) counts.unavailable += n;
    else counts.other += n;
  }
  return counts;
}

export const total = (counts: Counts): number => KINDS.reduce((sum, { kind }) => sum + counts[kind], 0);

/** What a crowd was told, by kind of answer. */
export interface Answers {
  /** 201 issued or 202 accepted. */
  success: number;
  soldOut: number;
  alreadyIssued: number;
  /** Everything else, by error code (LOCK_TIMEOUT, SERVICE_UNAVAILABLE, socket errors, …). */
  errors: Record<string, number>;
}

/**
 * Counts the answers a crowd got, and who was told yes: each of those must end up holding one row.
 * Keeps when each "sold out" arrived, to be set against when the places were taken (sold-out.ts).
 */
export class Tally {
  readonly answers: Answers = { success: 0, soldOut: 0, alreadyIssued: 0, errors: {} };
  readonly successfulUsers: number[] = [];
  /**
   * When each COUPON_SOLD_OUT was received, ms since the epoch: Date.now(), the clock the servers
   * stamp issued_at with (on one machine, the same clock).
   */
  readonly soldOutAt: number[] = [];

  /** `outcome`: 'success' for 201/202, else the answer's code (COUPON_SOLD_OUT, HTTP_502, …). Call it as the answer arrives. */
  record(userId: number, outcome: string): void {
    if (outcome === 'success') {
      this.answers.success++;
      this.successfulUsers.push(userId);
    } else if (outcome === 'COUPON_SOLD_OUT') {
      this.answers.soldOut++;
      this.soldOutAt.push(Date.now());
    } else if (outcome === 'ALREADY_ISSUED') this.answers.alreadyIssued++;
    else this.answers.errors[outcome] = (this.answers.errors[outcome] ?? 0) + 1;
  }
}

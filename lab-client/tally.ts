/** What a crowd was told, by kind of answer. */
export interface Answers {
  /** 201 issued or 202 accepted. */
  success: number;
  soldOut: number;
  alreadyIssued: number;
  /** Everything else, by error code (LOCK_TIMEOUT, SERVICE_UNAVAILABLE, socket errors, …). */
  errors: Record<string, number>;
}

/** Counts the answers a crowd got, and who was told yes: each of those must end up holding one row. */
export class Tally {
  readonly answers: Answers = { success: 0, soldOut: 0, alreadyIssued: 0, errors: {} };
  readonly successfulUsers: number[] = [];

  /** `outcome`: 'success' for 201/202, else the answer's code (COUPON_SOLD_OUT, HTTP_502, …). */
  record(userId: number, outcome: string): void {
    if (outcome === 'success') {
      this.answers.success++;
      this.successfulUsers.push(userId);
    } else if (outcome === 'COUPON_SOLD_OUT') this.answers.soldOut++;
    else if (outcome === 'ALREADY_ISSUED') this.answers.alreadyIssued++;
    else this.answers.errors[outcome] = (this.answers.errors[outcome] ?? 0) + 1;
  }
}

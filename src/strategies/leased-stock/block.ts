import { performance } from 'node:perf_hooks';

/**
 * Of a block's lease, the last part in which this process no longer hands out its places: a row
 * sent then might reach MySQL after the lease, be refused, and have to be sent again.
 */
export const UNUSED_END_OF_LEASE = 0.1;

/** A block as its process sees it: the places it has not handed out, the requests writing under it. */
export class Block {
  left: number;
  writing = 0;
  ended = false;

  constructor(
    readonly id: number,
    readonly granted: number,
    /** performance.now() after which no place is handed out: the lease counted from before it was asked for. */
    readonly usableUntil: number,
  ) {
    this.left = granted;
  }

  usable(): boolean {
    return !this.ended && this.left > 0 && performance.now() < this.usableUntil;
  }
}

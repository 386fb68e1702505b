import { performance } from 'node:perf_hooks';

/**
 * Counts a bench's runs as they start, so that each progress line says where the bench is overall
 * and, once a run has been timed, about how long is left: the time so far per run finished (server
 * starts and warm-ups included, as they will come again) times the runs still to go.
 */
export class RunCounter {
  readonly #startedAt: number;
  #started = 0;

  constructor(
    readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#startedAt = now();
  }

  /** A run starts: `run 7 of 24, about 1 min 10 s left` (`run 1 of 24` before any was timed). */
  next(): string {
    const finished = this.#started++;
    const left = finished === 0 ? '' : `, about ${roughly(((this.now() - this.#startedAt) / finished) * (this.total - finished))} left`;
    return `run ${this.#started} of ${this.total}${left}`;
  }
}

/** `40 s`, `2 min 10 s`, `1 h 5 min`: as precise as a guess deserves. */
export function roughly(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const tens = Math.round((s % 60) / 10) * 10;
    return tens === 60 ? `${Math.floor(s / 60) + 1} min` : `${Math.floor(s / 60)} min${tens ? ` ${tens} s` : ''}`;
  }
  const minutes = Math.round((s % 3600) / 60);
  return minutes === 60 ? `${Math.floor(s / 3600) + 1} h` : `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
}

import type { StrategyName } from '../src/strategies/index.js';
import type { Latency } from '../bench/report.js';
import type { Answers } from '../lab-client/tally.js';
import type { Verdict, Verification } from '../lab-client/verdict.js';

export type Generator = 'locust' | 'autocannon';
export type Endpoint = 'issue' | 'hello';

/**
 * What `load-locust` / `load-autocannon` found: each generator's numbers on the same endpoint
 * with as many requests in flight for as long, and what MySQL holds for each generator's coupon. The table
 * and `--json` are both rendered from this object.
 */
export interface LoadTestReport {
  version: 1;
  startedAt: string;
  target: {
    url: string;
    /** True when the command started the server itself (no --host). */
    started: boolean;
    /** Server processes behind the URL: started with, or declared by, --instances. */
    instances: number;
  };
  endpoint: Endpoint;
  /** The path every request went to, `:couponId` standing for each generator's own coupon. */
  path: string;
  strategy?: StrategyName;
  settings: {
    /** Requests in flight at once: Locust users, autocannon connections, each keeping one in flight. */
    connections: number;
    durationS: number;
    /** totalQuantity of each generator's fresh coupon (issue endpoint). */
    quantity: number;
    /** Locust users started per second. */
    spawnRate?: number;
  };
  runs: GeneratorRun[];
  /** False when a generator failed to run, or a strategy meant to be exact was not. */
  ok: boolean;
}

export interface GeneratorRun {
  generator: Generator;
  /** The fresh coupon this generator issued (issue endpoint). */
  couponId?: number;
  /** Absent when the generator failed to run; `error` says why. */
  numbers?: GeneratorNumbers;
  /** What its crowd was told (issue endpoint), as the generator counted the answers. */
  answers?: Answers;
  error?: string;
  coupon?: CouponCheck;
  /** Why the coupon could not be checked (the server never drained it, or MySQL is not the server's). */
  checkError?: string;
  ok: boolean;
}

export interface GeneratorNumbers {
  /** Requests completed: answered, or ended in a connection error or timeout. */
  requests: number;
  /** Requests completed per second, as the generator itself measured them. */
  throughput: number;
  /** Milliseconds. Locust rounds times over 100 ms to 10 ms and over 1 s to 100 ms; autocannon to 1 ms. */
  latency: Latency;
  /** Anything but 2xx and, when issuing, 409 COUPON_SOLD_OUT / ALREADY_ISSUED: 5xx, other 4xx, socket errors, timeouts. */
  failures: number;
}

/**
 * One coupon as MySQL holds it after the run (and, for lua, after the consumer wrote everything),
 * judged as the bench judges its own (lab-client/verdict.ts): `rows`, `overIssued`, `duplicated`,
 * `lost`, `revoked` and `verdict` are the bench's.
 */
export interface CouponCheck extends Verification {
  couponId: number;
  totalQuantity: number;
  /** The coupon row's counter. */
  issuedQuantity: number;
  distinctUsers: number;
  /** Whether the rows reached the quantity. A coupon not sold out when the run ended is fine: the crowd stopped first. */
  soldOut: boolean;
  /** Accepted by lua and still unwritten when the check gave up waiting (0 once drained). */
  pending: number;
  /** What the strategy should show with this many server processes: OVER-ISSUED is expected of unsafe, mutex-in-tx, and mutex across processes. */
  expected: Verdict;
  /** What the verdict does not say: a counter that disagrees with the rows, an unfinished drain. */
  problems: string[];
}

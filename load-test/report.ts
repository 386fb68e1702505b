import type { StrategyName } from '../src/strategies/index.js';
import type { Latency, Verdict } from '../bench/report.js';

export type Generator = 'locust' | 'autocannon';
export type Endpoint = 'issue' | 'hello';

/**
 * What `load-locust` / `load-autocannon` found: each generator's numbers on the same endpoint
 * with the same users and duration, and what MySQL holds for each generator's coupon. The table
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
    /** Locust users, autocannon connections: each keeps one request in flight. */
    users: number;
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

export type CouponVerdict = 'EXACT' | 'UNDER' | 'OVER-ISSUED';

/** One coupon as MySQL holds it after the run (and, for lua, after the consumer wrote everything). */
export interface CouponCheck {
  couponId: number;
  totalQuantity: number;
  /** The coupon row's counter. */
  issuedQuantity: number;
  /** Rows in coupon_issues. */
  rows: number;
  distinctUsers: number;
  /** Accepted by lua and still unwritten when the check gave up waiting (0 once drained). */
  pending: number;
  /** EXACT: sold out to the unit. UNDER: not sold out (the run ended first: fine). OVER-ISSUED: more rows than coupons. */
  verdict: CouponVerdict;
  /** Rows over the quantity (OVER-ISSUED) or coupons left (UNDER). */
  by: number;
  /** What the strategy should show with this many server processes: OVER-ISSUED is expected of unsafe, mutex-in-tx, and mutex across processes. */
  expected: Verdict;
  /** Anything else found wrong: a user holding two rows, a counter that disagrees with the rows, an unfinished drain. */
  problems: string[];
}

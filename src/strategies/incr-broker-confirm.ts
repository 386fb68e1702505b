import { ServiceUnavailableError } from '../core/errors.js';
import { ACCEPTED, type IssueResult, type StrategyFactory } from './issue-strategy.js';
import { countAdmission, giveBack } from './incr-broker/admission.js';

/** Longest a request waits for RabbitMQ's confirm before its place is given back and it is answered 503. */
const CONFIRM_TIMEOUT_MS = 5_000;

/**
 * incr-broker with the cure engineers deploy inside that design: answer only once RabbitMQ has
 * confirmed the message, and when it will not (refused, unreachable, no confirm in time), take the
 * count and the user back and answer 503, so that nobody is told yes without a durable message.
 *
 * What it still cannot cover: a server that dies between the count and the confirm leaves the place
 * spent with nobody told yes (a stranded place: fewer coupons than the quantity, and the user's own
 * retry refused as ALREADY_ISSUED); an undo that fails (Redis down too) strands it the same way; and a
 * confirm lost with its connection or late past the timeout, for a message RabbitMQ did keep, gives a
 * place back that is still taken, so that the consumer writes one more than the count allows for (the
 * MySQL fence then revokes the last, visibly). Only a reconciler, or one atomic write, covers those.
 */
export const createIncrBrokerConfirm: StrategyFactory = (deps) => {
  const admit = countAdmission(deps);
  return {
    name: 'incr-broker-confirm',
    protection: 'fault-free',
    uses: ['redis', 'mysql', 'broker'],
    lockWaits: 'none',
    asynchronous: true,
    handOff: 'confirm-first',
    card: {
      steps: [
        'SADD the user, INCR the count, as incr-broker does',
        'publish to RabbitMQ and wait for its confirm',
        'confirmed: answer 202; not within 5 s: DECR and SREM, answer 503',
        'a broker consumer writes the row; redelivery is safe by the unique key',
      ],
      needs: 'Redis, RabbitMQ, MySQL, a broker consumer',
      pitfall: 'Nobody told yes is lost, but a server killed between the count and the confirm strands the place; a late confirm is revoked in MySQL.',
    },
    async issue(request): Promise<IssueResult> {
      const admitted = await admit(request);
      if (admitted.outcome !== 'counted') return admitted;
      try {
        await withTimeout(deps.broker.publish(admitted.fields), CONFIRM_TIMEOUT_MS);
      } catch (error) {
        await giveBack(deps, request).catch((undo: unknown) => {
          deps.log.warn({ ...request, error: undo }, 'incr-broker-confirm: the place of a request RabbitMQ did not confirm could not be given back');
        });
        throw error;
      }
      return ACCEPTED;
    },
  };
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailableError('broker', new Error(`no confirm within ${ms} ms`))), ms);
  });
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}

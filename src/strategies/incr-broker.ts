import { ACCEPTED, type IssueResult, type StrategyFactory } from './issue-strategy.js';
import { countAdmission } from './incr-broker/admission.js';

/**
 * The design most tutorials teach: `SADD` the user (stop if already there), `INCR` the count (stop
 * if over the quantity), publish the winner to a broker, answer; a consumer writes the row. Here the
 * broker is RabbitMQ (a quorum queue, see core/issue-queue), and the publish is the course's
 * `kafkaTemplate.send(…)`: handed to the client and answered at once, its confirm left to arrive later.
 *
 * Exact while nothing fails between the two writes. They go to two stores one after the other, and
 * nothing makes them one: a server that dies after the count and before RabbitMQ has the message, or
 * a publish that fails, leaves the place spent, the user told yes, and no coupon, ever. The lab counts
 * each failed confirm (coupon_lab_broker_unconfirmed_total); incr-broker-confirm is the cure inside
 * this design, lua the cure that removes the second write.
 */
export const createIncrBroker: StrategyFactory = (deps) => {
  const admit = countAdmission(deps);
  return {
    name: 'incr-broker',
    protection: 'fault-free',
    uses: ['redis', 'mysql', 'broker'],
    lockWaits: 'none',
    asynchronous: true,
    handOff: 'answer-first',
    card: {
      steps: [
        'SADD the user to those who applied (already there: ALREADY_ISSUED)',
        'INCR the count (over the quantity: COUPON_SOLD_OUT, and the count given back)',
        'publish the winner to RabbitMQ without waiting; answer 202',
        'a broker consumer writes the row; redelivery is safe by the unique key',
      ],
      needs: 'Redis, RabbitMQ, MySQL, a broker consumer',
      pitfall:
        'The count and the message are two writes: a server that dies, or a publish that fails, between them leaves a user told yes with no coupon, ever.',
    },
    async issue(request): Promise<IssueResult> {
      const admitted = await admit(request);
      if (admitted.outcome !== 'counted') return admitted;
      void deps.broker.publish(admitted.fields).catch((error: unknown) => {
        deps.observer.handOffFailed('incr-broker');
        deps.log.debug({ ...request, error }, 'incr-broker: an accepted request was not confirmed by RabbitMQ');
      });
      return ACCEPTED;
    },
  };
};

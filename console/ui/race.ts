import type { BenchEvent, Stage } from '../../bench/events.js';
import type { Catalog, ConsoleEvent, RaceRequest } from '../contract.js';
import { api } from './api.js';
import { el, fill } from './dom.js';
import { checkedValues, numberField, RunControls, strategyChoices } from './form.js';
import { Lane } from './lane.js';

const PROCESS_CHOICES = [1, 2, 4];
const STAGES: Record<Stage, string> = {
  'starting servers': 'starting the server processes',
  'warm-up': 'warming up',
  'GET /hello': 'measuring GET /hello alone',
};

/** The race: a form with the CLI's limits, then a lane per strategy and process count, filled live. */
export class RaceView {
  readonly #form: HTMLFormElement;
  readonly #controls = new RunControls('Run the race', 'a strategy meant to be exact was not');
  readonly #lanes = el('div', { class: 'lanes', id: 'lanes' });
  #byKey = new Map<string, Lane>();
  readonly #unavailable: ReadonlySet<string>;

  constructor(
    section: HTMLElement,
    private readonly catalog: Catalog,
  ) {
    this.#unavailable = new Set(catalog.unavailableCodes);
    const { limits, defaults } = catalog;
    this.#form = el(
      'form',
      { class: 'run-form', id: 'race-form', 'aria-labelledby': 'race-title' },
      strategyChoices('Strategies', catalog.strategies, (name) => defaults.strategies.includes(name as never)),
      el(
        'div',
        { class: 'fields' },
        numberField('users', 'Users', limits.users, defaults.users),
        numberField('requestsPerUser', 'Requests per user', limits.requestsPerUser, defaults.requestsPerUser),
        numberField('quantity', 'Places (quantity)', limits.quantity, defaults.quantity),
        numberField('concurrency', 'Connections', limits.concurrency, defaults.concurrency, 'requests in flight at once'),
        numberField('repeat', 'Runs each', limits.repeat, defaults.repeat, 'medians of the runs'),
      ),
      el(
        'fieldset',
        { class: 'choices' },
        el('legend', {}, 'Server processes'),
        ...PROCESS_CHOICES.map((n) =>
          el('label', { class: 'choice' }, el('input', { type: 'checkbox', name: 'instances', value: n, checked: defaults.instances.includes(n) }), ` ${n}`),
        ),
      ),
      this.#controls.element,
    );
    this.#controls.submitting(this.#form, () => api.race(this.#request()));
    fill(
      section,
      el('h2', { id: 'race-title' }, 'Race'),
      el('p', { class: 'intro' }, 'A crowd races for a coupon through each strategy, over HTTP, against server processes of their own. Then MySQL is counted.'),
      this.#form,
      this.#lanes,
    );
  }

  setBusy(busy: boolean): void {
    this.#controls.setBusy(busy);
  }

  /** `runKind`: the kind of the run the event belongs to. */
  handle(event: ConsoleEvent, runKind: string | undefined): void {
    if (event.type === 'run-started' && event.kind === 'race') this.#start(event.request as RaceRequest);
    else if (event.type === 'race') this.#bench(event.event);
    else if (runKind === 'race') {
      if (event.type === 'run-stopped') for (const lane of this.#byKey.values()) lane.stopped();
      this.#controls.ended(event);
    }
  }

  #request(): RaceRequest {
    const data = new FormData(this.#form);
    const number = (name: string) => Number(data.get(name));
    return {
      strategies: checkedValues(this.#form, 'strategy') as RaceRequest['strategies'],
      users: number('users'),
      requestsPerUser: number('requestsPerUser'),
      quantity: number('quantity'),
      concurrency: number('concurrency'),
      instances: checkedValues(this.#form, 'instances').map(Number),
      repeat: number('repeat'),
    };
  }

  #start(request: RaceRequest): void {
    this.#byKey = new Map();
    const lanes: Lane[] = [];
    for (const instances of request.instances) {
      for (const name of request.strategies) {
        const lane = new Lane(
          this.catalog.strategies.find((strategy) => strategy.name === name)!,
          instances,
          request,
          this.#unavailable,
        );
        this.#byKey.set(key(name, instances), lane);
        lanes.push(lane);
      }
    }
    fill(this.#lanes, ...lanes.map((lane) => lane.element));
    this.#controls.say(`Racing ${request.users.toLocaleString('en-US')} users for ${request.quantity.toLocaleString('en-US')} places…`);
    // On a narrow screen the form fills it: bring the message and the lanes under it up, just below
    // the sticky header, or the race runs out of sight.
    const { top } = this.#controls.element.getBoundingClientRect();
    const header = document.querySelector('.top')?.getBoundingClientRect().bottom ?? 0;
    if (top > window.innerHeight / 2) window.scrollBy({ top: top - header - 8 });
  }

  #bench(event: BenchEvent): void {
    if (event.type === 'stage') {
      // A stage of the servers concerns every lane on them; one of a strategy, that lane, while the others wait their turn.
      for (const lane of this.#byKey.values()) {
        if (lane.instances !== event.instances) continue;
        if (!event.strategy || lane === this.#lane(event.strategy, event.instances)) lane.stage(STAGES[event.stage]);
        else if (lane.waiting) lane.stage('waiting its turn');
      }
      return;
    }
    if (event.type === 'strategy-ended') return this.#lane(event.result.strategy, event.result.instances)?.ended(event.result);
    const lane = this.#lane(event.strategy, event.instances);
    if (event.type === 'run-started') lane?.runStarted(event.run, event.runs);
    else if (event.type === 'answers') lane?.answers(event.answers, event.elapsedMs);
    else if (event.type === 'drain-started') lane?.draining();
    else lane?.runEnded(event.result, event.run, event.runs);
  }

  #lane(strategy: string, instances: number): Lane | undefined {
    return this.#byKey.get(key(strategy, instances));
  }
}

const key = (strategy: string, instances: number) => `${strategy}@${instances}`;

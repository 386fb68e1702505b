import { int, ms } from '../../bench/output/format.js';
import type { RunResult, StrategyResult } from '../../bench/report.js';
import type { Answers } from '../../lab-client/tally.js';
import { verdictWithFigure, worstRun } from '../../lab-client/verdict.js';
import type { RaceRequest, StrategyEntry } from '../contract.js';
import { countKinds, KINDS, NO_ANSWERS, total, type Counts } from './answers.js';
import { protectionBadge, verdictBadge } from './badges.js';
import { lineChart, type Chart } from './charts.js';
import { el, fill } from './dom.js';

/**
 * One strategy on one count of server processes, filling as its crowd is answered: a bar of the
 * answers by kind against the requests to send, a gauge of the places handed out against the
 * quantity (where `unsafe` runs past the mark), the counts and req/s, a chart of the answers over
 * time, and at the end what MySQL held.
 */
export class Lane {
  readonly element: HTMLElement;
  readonly #stage = el('span', { class: 'stage' }, 'waiting');
  readonly #bar = el('div', { class: 'answers-bar' });
  readonly #places = el('div', { class: 'places-bar' });
  readonly #placesText = el('p', { class: 'places-text' });
  readonly #countList = el('dl', { class: 'counts' });
  readonly #outcome = el('div', { class: 'outcome', 'aria-live': 'polite' });
  readonly #chart: Chart;
  #points: { t: number; counts: Counts }[] = [];
  #counts: Counts = NO_ANSWERS;
  #elapsedMs = 0;

  constructor(
    strategy: StrategyEntry,
    readonly instances: number,
    private readonly request: RaceRequest,
    private readonly unavailable: ReadonlySet<string>,
  ) {
    this.#chart = lineChart(`Answers to ${strategy.name} over time`, KINDS, 'answers');
    const processes = `${instances} process${instances === 1 ? '' : 'es'}`;
    this.element = el(
      'article',
      { class: 'lane', 'data-strategy': strategy.name, 'data-instances': instances, 'data-state': 'waiting', 'aria-label': `${strategy.name}, ${processes}` },
      el('header', {}, el('h3', {}, strategy.name), protectionBadge(strategy.protection), el('span', { class: 'muted' }, processes), this.#stage),
      this.#bar,
      this.#places,
      this.#placesText,
      this.#countList,
      this.#chart.element,
      this.#outcome,
    );
    this.#draw();
  }

  /** Not yet run: its turn has not come. */
  get waiting(): boolean {
    return this.element.dataset.state === 'waiting';
  }

  stage(text: string): void {
    this.#stage.textContent = text;
  }

  runStarted(run: number, runs: number): void {
    this.#points = [{ t: 0, counts: NO_ANSWERS }];
    this.#counts = NO_ANSWERS;
    this.#elapsedMs = 0;
    this.element.dataset.state = 'running';
    this.stage(runs > 1 ? `running, run ${run} of ${runs}` : 'running');
    this.#draw();
  }

  answers(answers: Answers, elapsedMs: number): void {
    this.#counts = countKinds(answers, this.unavailable);
    this.#elapsedMs = elapsedMs;
    this.#points.push({ t: elapsedMs / 1000, counts: this.#counts });
    this.#draw();
  }

  draining(): void {
    this.stage('waiting for the consumer to write what was accepted');
  }

  runEnded(result: RunResult, run: number, runs: number): void {
    if (runs > 1) this.stage(`run ${run} of ${runs}: ${verdictWithFigure(result)}`);
  }

  ended(result: StrategyResult): void {
    this.element.dataset.state = 'done';
    this.element.dataset.verdict = result.verdict;
    this.stage('done');
    const shown = worstRun(result.runs)!;
    const rows = `MySQL holds ${int(shown.rows)} row${shown.rows === 1 ? '' : 's'} for ${int(this.request.quantity)} places`;
    const figures = [`${int(result.throughput)} req/s`, `p50 ${ms(result.latency.p50)} ms`, `p99 ${ms(result.latency.p99)} ms`];
    if (result.drainMs !== undefined) figures.push(`drain ${ms(result.drainMs)} ms`);
    if (result.runs.length > 1) figures.push(`medians of ${result.runs.length} runs`);
    fill(
      this.#outcome,
      verdictBadge(result.verdict, verdictWithFigure(shown), result.ok),
      el('span', { class: 'rows', 'data-rows': shown.rows }, rows),
      el('span', { class: 'figures' }, figures.join(' · ')),
      result.expected !== 'EXACT' ? el('span', { class: 'muted' }, `expected: ${result.expected}`) : undefined,
    );
  }

  stopped(): void {
    if (this.element.dataset.state === 'done') return;
    this.element.dataset.state = 'stopped';
    this.stage('stopped');
  }

  #draw(): void {
    const requests = this.request.users * this.request.requestsPerUser;
    const answered = total(this.#counts);
    fill(
      this.#bar,
      ...KINDS.map(({ kind, color, label }) =>
        el('span', {
          class: 'segment',
          'data-kind': kind,
          title: `${label}: ${int(this.#counts[kind])}`,
          style: `width:${(100 * this.#counts[kind]) / requests}%;background:${color}`,
        }),
      ),
    );
    this.#bar.setAttribute('aria-label', `${int(answered)} of ${int(requests)} requests answered`);
    this.#bar.setAttribute('role', 'img');
    this.#drawPlaces();
    const perS = this.#elapsedMs > 0 ? (answered / this.#elapsedMs) * 1000 : undefined;
    fill(
      this.#countList,
      ...KINDS.map(({ kind, label, color }) =>
        el(
          'div',
          { 'data-kind': kind },
          el('dt', {}, el('i', { class: 'swatch', style: `background:${color}` }), label),
          el('dd', {}, int(this.#counts[kind])),
        ),
      ),
      el('div', { 'data-kind': 'rate' }, el('dt', {}, 'req/s'), el('dd', {}, int(perS))),
    );
    const xs = this.#points.map((point) => point.t);
    this.#chart.update(
      xs,
      KINDS.map(({ kind }) => this.#points.map((point) => point.counts[kind])),
    );
  }

  /** The places handed out against the quantity: the mark is the quantity, anything past it over-issued. */
  #drawPlaces(): void {
    const { quantity } = this.request;
    const issued = this.#counts.success;
    const scale = Math.max(quantity * 1.25, issued);
    const within = Math.min(issued, quantity);
    const over = Math.max(0, issued - quantity);
    fill(
      this.#places,
      el('span', { class: 'within', style: `width:${(100 * within) / scale}%` }),
      el('span', { class: 'over', style: `width:${(100 * over) / scale}%` }),
      el('span', { class: 'mark', style: `left:${(100 * quantity) / scale}%` }),
    );
    this.#places.setAttribute('role', 'img');
    this.#places.setAttribute('aria-label', `${int(issued)} told yes for ${int(quantity)} places`);
    this.#placesText.textContent = `${int(issued)} told yes for ${int(quantity)} places${over ? `: ${int(over)} past the quantity` : ''}`;
    this.#placesText.classList.toggle('over', over > 0);
  }
}

import { int, ms } from '../../bench/output/format.js';
import type { DecisionRow, RaceFigures, Sourced } from '../contract.js';
import { api } from './api.js';
import { protectionBadge, verdictBadge } from './badges.js';
import { el, fill, scrollingTable } from './dom.js';
import { showError } from './messages.js';

/** The README's decision table, from the latest saved runs: each figure links to the run it came from. */
export class DecisionView {
  readonly #table = el('div', { id: 'decision' });
  readonly #message = el('p', { class: 'message', role: 'status' });

  constructor(section: HTMLElement) {
    fill(
      section,
      el('h2', { id: 'decision-title' }, 'Decision table'),
      el(
        'p',
        { class: 'intro' },
        'For each strategy, its latest race on one server process and on several, and its latest run under each fault. Figures from different runs were measured at different moments: compare strategies within one run.',
      ),
      this.#message,
      this.#table,
    );
  }

  async show(): Promise<void> {
    try {
      const rows = await api.decision();
      fill(
        this.#table,
        scrollingTable('Decision table', ['strategy', '1 process', 'several processes', 'under faults', 'needs'], rows.map(row), { class: 'decision' }),
      );
    } catch (error) {
      showError(this.#message, error);
    }
  }
}

function row(r: DecisionRow): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-strategy': r.strategy },
    el('th', { scope: 'row' }, r.strategy, ' ', protectionBadge(r.protection)),
    el('td', {}, race(r.oneProcess)),
    el('td', {}, race(r.processes)),
    el(
      'td',
      { class: 'faults' },
      ...(r.faults.length
        ? r.faults.map((f) =>
            el('span', { class: 'pair' }, `${f.label} `, link(f.run.runId, verdictBadge(f.run.value.verdict, f.run.value.verdict, f.run.value.ok))),
          )
        : ['–']),
    ),
    el('td', {}, r.needs),
  );
}

function race(figures: Sourced<RaceFigures> | undefined): HTMLElement | string {
  if (!figures) return '–';
  const { value, runId } = figures;
  return link(
    runId,
    verdictBadge(value.verdict, value.verdict, value.ok),
    el('span', { class: 'figures' }, ` ${int(value.throughput)} req/s, p99 ${ms(value.p99)} ms${value.instances > 1 ? ` (${value.instances} processes)` : ''}`),
  );
}

function link(runId: string, ...content: (HTMLElement | string)[]): HTMLAnchorElement {
  return el('a', { href: `#results/${encodeURIComponent(runId)}`, class: 'sourced', title: `from run ${runId}`, 'data-run': runId }, ...content);
}

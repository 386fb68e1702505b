import type { SavedRun } from '../contract.js';
import { api, reportUrl } from './api.js';
import { verdictBadge } from './badges.js';
import { el, fill, scrollingTable } from './dom.js';
import { showError } from './messages.js';
import { runView } from './run-view.js';

/** Every saved run, newest first: open one, compare two side by side, open a run's HTML report. */
export class ResultsView {
  readonly #list = el('div', { id: 'runs' });
  readonly #detail = el('div', { id: 'run-detail', class: 'detail' });
  readonly #compare: HTMLButtonElement = el('button', { type: 'button', disabled: true }, 'Compare the two ticked');
  readonly #message = el('p', { class: 'message', role: 'status' });

  constructor(
    section: HTMLElement,
    private readonly runsFolder: string,
  ) {
    this.#compare.addEventListener('click', () => {
      const [a, b] = this.#ticked();
      location.hash = `#compare/${encodeURIComponent(a!)}/${encodeURIComponent(b!)}`;
    });
    fill(
      section,
      el('h2', { id: 'results-title' }, 'Results'),
      el('p', { class: 'intro' }, `Every run is saved as the bench's JSON in ${runsFolder}, with any report the bench wrote there with --out.`),
      el('div', { class: 'buttons' }, this.#compare, this.#message),
      this.#list,
      this.#detail,
    );
  }

  /** Lists the runs, then shows what the route asks for: nothing, one run, or two side by side. */
  async show(open: string[]): Promise<void> {
    try {
      this.#render(await api.runs());
      const shown = await Promise.all(open.map(async (id) => runView(id, await api.run(id))));
      fill(this.#detail, ...shown);
      this.#detail.classList.toggle('side-by-side', shown.length === 2);
      if (shown.length) shown[0]!.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      showError(this.#message, error);
    }
  }

  #render(runs: SavedRun[]): void {
    if (runs.length === 0) return fill(this.#list, el('p', { class: 'muted' }, `No run saved in ${this.runsFolder} yet: run a race or a fault.`));
    const rows = runs.map((run) =>
      el(
        'tr',
        { 'data-run': run.id },
        el('td', {}, el('input', { type: 'checkbox', name: 'compare', value: run.id, 'aria-label': `compare ${run.id}` })),
        el('td', {}, el('time', { datetime: run.startedAt }, new Date(run.startedAt).toLocaleString())),
        el('td', {}, run.kind === 'race' ? 'race' : 'faults'),
        el('td', {}, run.title),
        el('td', { class: 'verdicts' }, ...run.verdicts.map((v) => el('span', { class: 'pair' }, `${v.label} `, verdictBadge(v.verdict, v.verdict, v.ok)))),
        el(
          'td',
          {},
          el('a', { href: `#results/${encodeURIComponent(run.id)}` }, 'open'),
          ' · ',
          el('a', { href: reportUrl(run.id), target: '_blank', rel: 'noopener' }, 'HTML'),
        ),
      ),
    );
    fill(this.#list, scrollingTable('Saved runs', ['', 'started', 'kind', 'what', 'verdicts', ''], rows, { class: 'runs' }));
    this.#list
      .querySelectorAll('input[name="compare"]')
      .forEach((box) => box.addEventListener('change', () => (this.#compare.disabled = this.#ticked().length !== 2)));
  }

  #ticked(): string[] {
    return [...this.#list.querySelectorAll<HTMLInputElement>('input[name="compare"]:checked')].map((box) => box.value);
  }
}

import { reportUrl } from './api.js';
import { el, fill } from './dom.js';

/** Says what went wrong where the click was made: the console's own sentence when it gave one. */
export function showError(where: HTMLElement, error: unknown): void {
  fill(where, el('span', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
}

/** Where a saved run can be read: in the console, and as the bench's HTML report. */
export function savedLinks(id: string): HTMLElement[] {
  return [
    el('a', { href: `#results/${encodeURIComponent(id)}` }, 'open it'),
    el('span', {}, ' · '),
    el('a', { href: reportUrl(id), target: '_blank', rel: 'noopener' }, 'its HTML report'),
  ];
}

import { PROTECTION_COLORS, PROTECTION_MEANINGS } from '../../bench/output/html-charts.js';
import type { Verdict } from '../../lab-client/verdict.js';
import type { Protection } from '../../src/strategies/issue-strategy.js';
import { el } from './dom.js';

export { PROTECTION_MEANINGS };

/** How far a strategy's protection reaches, in the colour the HTML report gives it. */
export function protectionBadge(protection: Protection): HTMLElement {
  return el('span', { class: 'badge protection', style: `--tone:${PROTECTION_COLORS[protection]}`, title: PROTECTION_MEANINGS[protection] }, protection);
}

/** A verdict with its figure (`OVER-ISSUED by 7`): green when exact, amber when expected or allowed, red when not. */
export function verdictBadge(verdict: Verdict, text: string, ok: boolean): HTMLElement {
  const tone = !ok ? 'bad' : verdict === 'EXACT' ? 'good' : 'warn';
  return el('span', { class: `badge verdict ${tone}`, 'data-verdict': verdict }, text);
}

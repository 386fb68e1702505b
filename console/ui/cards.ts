import type { Catalog, StrategyEntry } from '../contract.js';
import { PROTECTION_MEANINGS, protectionBadge } from './badges.js';
import { el, fill } from './dom.js';

/** Each strategy's card: how it guards the quantity, what it needs, its pitfall, where to read more. */
export function renderCards(section: HTMLElement, catalog: Catalog): void {
  fill(
    section,
    el('h2', { id: 'strategies-title' }, 'Strategies'),
    el('p', { class: 'intro' }, 'How each strategy guards the quantity, step by step. The card is written beside the code, in the strategy’s own file.'),
    el('div', { class: 'cards' }, ...catalog.strategies.map(card)),
  );
}

function card(strategy: StrategyEntry): HTMLElement {
  const { name, card: c } = strategy;
  return el(
    'article',
    { class: 'card', id: `card-${name}`, 'data-strategy': name, 'aria-labelledby': `card-${name}-title` },
    el('header', {}, el('h3', { id: `card-${name}-title` }, name), protectionBadge(strategy.protection)),
    el('p', { class: 'muted' }, `${PROTECTION_MEANINGS[strategy.protection]}${strategy.asynchronous ? '; answers 202, written to MySQL later' : ''}`),
    el('ol', { class: 'steps' }, ...c.steps.map((step) => el('li', {}, step))),
    el('p', {}, el('b', {}, 'Needs: '), c.needs),
    el('p', {}, el('b', {}, 'Pitfall: '), c.pitfall),
    el(
      'p',
      { class: 'links' },
      el('a', { href: `/source/${name}`, target: '_blank', rel: 'noopener' }, strategy.source),
      ' · ',
      el('a', { href: `/docs/strategies.md#${name}`, target: '_blank', rel: 'noopener' }, `docs/strategies.md#${name}`),
    ),
  );
}

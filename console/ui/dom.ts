/** What an element is made with: attributes (`class`, `data-*`, `aria-*` …), properties for the rest. */
type Attributes = Record<string, string | number | boolean | undefined>;
type Child = Node | string | number | undefined | false;

/**
 * An element in one expression: `el('p', { class: 'muted' }, 'text', el('b', {}, 'bold'))`. Attributes
 * that are false or undefined are left out, true ones are set empty; text is never parsed as HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...nodes(children));
  return element;
}

/** Replaces what `parent` holds. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...nodes(children));
}

function nodes(children: Child[]): (Node | string)[] {
  return children.flatMap((child) => (child === undefined || child === false ? [] : [typeof child === 'number' ? String(child) : child]));
}

/** A table that scrolls sideways inside its own box on a narrow screen, not the page. */
export function scrollingTable(caption: string, head: string[], rows: HTMLTableRowElement[], attributes: Attributes = {}): HTMLElement {
  const table = el(
    'table',
    attributes,
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, ...head.map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, ...rows),
  );
  return el('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': caption }, table);
}

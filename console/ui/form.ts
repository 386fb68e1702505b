import type { Limit, StrategyEntry } from '../contract.js';
import { protectionBadge } from './badges.js';
import { el } from './dom.js';

// The pieces both run forms are made of.

/** Checkboxes of strategies, each with its protection; `disabled` ones are shown but cannot be picked. */
export function strategyChoices(
  legend: string,
  strategies: readonly StrategyEntry[],
  checked: (name: string) => boolean,
  disabled = (_name: string) => false,
): HTMLFieldSetElement {
  return el(
    'fieldset',
    { class: 'choices' },
    el('legend', {}, legend),
    ...strategies.map((strategy) =>
      el(
        'label',
        { class: 'choice' },
        el('input', { type: 'checkbox', name: 'strategy', value: strategy.name, checked: checked(strategy.name), disabled: disabled(strategy.name) }),
        ` ${strategy.name} `,
        protectionBadge(strategy.protection),
      ),
    ),
  );
}

/** A whole number field with the CLI's bounds. */
export function numberField(name: string, label: string, limit: Limit, value: number, hint?: string): HTMLLabelElement {
  return el(
    'label',
    { class: 'field' },
    el('span', {}, label),
    el('input', { type: 'number', name, min: limit.min, max: limit.max, step: 1, value, required: true, inputmode: 'numeric' }),
    hint ? el('small', { class: 'muted' }, hint) : undefined,
  );
}

/** The values of the checked boxes called `name`. */
export function checkedValues(form: HTMLFormElement, name: string): string[] {
  return [...form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((input) => input.value);
}

/** Run and Stop, and the line that says what came of a click. */
export function runButtons(runLabel: string): { buttons: HTMLElement; run: HTMLButtonElement; stop: HTMLButtonElement; message: HTMLElement } {
  const run = el('button', { type: 'submit', class: 'primary' }, runLabel);
  const stop = el('button', { type: 'button', disabled: true }, 'Stop');
  const message = el('p', { class: 'message', role: 'status' });
  return { buttons: el('div', { class: 'buttons' }, run, stop, message), run, stop, message };
}

import type { ConsoleEvent, Limit, StrategyEntry } from '../contract.js';
import { api } from './api.js';
import { protectionBadge } from './badges.js';
import { el, fill } from './dom.js';
import { savedLinks, showError } from './messages.js';

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

/**
 * Run and Stop, and the line beside them that says what came of a click and how a run of the view
 * ended: saved (with where to read it), stopped, or failed.
 */
export class RunControls {
  readonly run: HTMLButtonElement;
  readonly stop = el('button', { type: 'button', disabled: true }, 'Stop');
  readonly message = el('p', { class: 'message', role: 'status' });
  readonly element: HTMLElement;

  /** `notExact`: what is said of a saved run that is not ok. */
  constructor(
    runLabel: string,
    private readonly notExact: string,
  ) {
    this.run = el('button', { type: 'submit', class: 'primary' }, runLabel);
    this.element = el('div', { class: 'buttons' }, this.run, this.stop, this.message);
    this.stop.addEventListener('click', () => void api.stop().catch((error: unknown) => showError(this.message, error)));
  }

  /** Calls `send` when the form is submitted; what the console refuses is said here. */
  submitting(form: HTMLFormElement, send: () => Promise<unknown>): void {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      send().catch((error: unknown) => showError(this.message, error));
    });
  }

  /** Run while the console is idle, Stop while it runs. */
  setBusy(busy: boolean): void {
    this.run.disabled = busy;
    this.stop.disabled = !busy;
  }

  say(text: string): void {
    this.message.textContent = text;
  }

  /** The end of a run of this view. */
  ended(event: ConsoleEvent): void {
    if (event.type === 'run-saved') {
      const { saved } = event;
      fill(this.message, `Done${saved.ok ? '' : ` — ${this.notExact}`}. Saved as ${saved.id}: `, ...savedLinks(saved.id));
    } else if (event.type === 'run-stopped') this.say('Stopped: nothing was saved.');
    else if (event.type === 'run-failed') showError(this.message, new Error(event.message));
  }
}

import { api } from './api.js';
import { el, fill } from './dom.js';
import { showError } from './messages.js';

/** Asks for the console's ADMIN_TOKEN, trades it for the session cookie, and starts the page again. */
export function askForToken(section: HTMLElement, why: string): void {
  const input = el('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password', required: true });
  const message = el('p', { class: 'message', role: 'status' });
  const form = el(
    'form',
    { class: 'run-form', id: 'token-form' },
    el('label', { class: 'field', for: 'token' }, el('span', {}, 'ADMIN_TOKEN')),
    input,
    el('div', { class: 'buttons' }, el('button', { type: 'submit', class: 'primary' }, 'Open the console'), message),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api.openSession(input.value).then(
      () => location.reload(),
      (error: unknown) => showError(message, error),
    );
  });
  fill(section, el('h2', { id: 'token-title' }, 'This console asks for its token'), el('p', { class: 'intro' }, why), form);
  section.hidden = false;
}

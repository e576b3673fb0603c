// @ts-check
/**
 * Panza's controls in a Gmail compose window: an instruction field and the
 * "Draft with Panza" button (which becomes "Stop" while drafting) next to Send,
 * and a status line above the toolbar. Built with createElement/textContent only:
 * Gmail enforces Trusted Types.
 */
import { first, miss } from './dom.js';

export const DRAFT_LABEL = 'Draft with Panza';
export const STOP_LABEL = 'Stop';

/**
 * @typedef {object} Controls
 * @property {HTMLInputElement} input
 * @property {HTMLButtonElement} button
 * @property {HTMLElement} status
 */

/**
 * Does this compose window already have Panza's controls?
 * @param {Element} root
 */
export function hasControls(root) {
  return Boolean(root.querySelector('[data-panza="draft"]'));
}

/**
 * Put the controls into `root`, next to its Send button.
 * @param {Element} root
 * @param {HTMLElement} body the compose body (last-resort anchor)
 * @returns {Controls}
 */
export function addControls(root, body) {
  const doc = root.ownerDocument;
  // Gmail re-rendered the toolbar under an old status line: start clean.
  for (const stale of root.querySelectorAll('[data-panza="status"], [data-panza="controls"]')) stale.remove();
  const group = doc.createElement('span');
  group.className = 'panza-controls';
  group.setAttribute('data-panza', 'controls');

  const input = doc.createElement('input');
  input.type = 'text';
  input.className = 'panza-instruction';
  input.placeholder = 'Panza: what should it say? (empty = reply)';
  input.setAttribute('aria-label', 'Instruction for Panza');
  input.setAttribute('data-panza', 'instruction');

  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'panza-draft';
  button.textContent = DRAFT_LABEL;
  button.setAttribute('data-panza', 'draft');
  button.setAttribute('aria-label', DRAFT_LABEL);

  group.append(input, button);

  const status = doc.createElement('div');
  status.className = 'panza-status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  status.setAttribute('data-panza', 'status');
  status.hidden = true;

  const cell = first(root, 'sendCell');
  if (cell) {
    const td = doc.createElement('td');
    td.className = 'panza-cell';
    td.append(group);
    cell.after(td);
    const table = cell.closest('table');
    (table ?? cell).before(status);
  } else {
    miss('sendCell');
    const send = first(root, 'sendButton');
    if (send?.parentElement) {
      send.parentElement.after(group);
      group.after(status);
    } else {
      miss('sendButton');
      const bar = doc.createElement('div');
      bar.className = 'panza-bar';
      bar.append(group, status);
      body.before(bar);
    }
  }
  return { input, button, status };
}

/**
 * @param {Controls} controls
 * @param {boolean} running
 */
export function setRunning(controls, running) {
  const label = running ? STOP_LABEL : DRAFT_LABEL;
  controls.button.textContent = label;
  controls.button.setAttribute('aria-label', running ? 'Stop drafting' : DRAFT_LABEL);
  controls.button.dataset.running = running ? 'true' : 'false';
  controls.input.disabled = running;
}

/**
 * @param {Controls} controls
 * @param {string} text empty hides the line
 * @param {'info'|'error'|'done'} [kind]
 */
export function setStatus(controls, text, kind = 'info') {
  controls.status.textContent = text;
  controls.status.dataset.kind = kind;
  controls.status.hidden = !text;
}

// @ts-check
/**
 * The compose_action popup: an instruction (empty = reply to this), Draft and Stop.
 * The background does the work, so the popup may close while the draft streams in.
 */
const api = messenger;

const form = /** @type {HTMLFormElement} */ (document.getElementById('form'));
const input = /** @type {HTMLTextAreaElement} */ (document.getElementById('instruction'));
const draftButton = /** @type {HTMLButtonElement} */ (document.getElementById('draft'));
const stopButton = /** @type {HTMLButtonElement} */ (document.getElementById('stop'));
const status = /** @type {HTMLElement} */ (document.getElementById('status'));

const [tab] = await api.tabs.query({ active: true, currentWindow: true });
const port = api.runtime.connect({ name: 'panza-popup' });

port.onMessage.addListener((/** @type {any} */ message) => {
  if (message?.type !== 'state' || message.tabId !== tab?.id) return;
  const { running, text, kind } = message.state;
  draftButton.disabled = running;
  input.disabled = running;
  stopButton.hidden = !running;
  status.textContent = text;
  status.dataset.kind = kind;
  status.hidden = !text;
});
port.postMessage({ type: 'watch', tabId: tab?.id });

form.addEventListener('submit', (event) => {
  event.preventDefault();
  port.postMessage({ type: 'draft', tabId: tab?.id, instruction: input.value });
});
stopButton.addEventListener('click', () => port.postMessage({ type: 'stop', tabId: tab?.id }));
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
input.focus();

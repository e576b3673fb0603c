// @ts-check
/** The options page: daemon connection, current adapter, training, "Retrain now". */
import { extApi } from './ext.js';
import { RETRAIN_ABSENT, optionsView, retrainLine } from './options-view.js';

const REFRESH_MS = 3000;

/** @param {string} method */
function ask(method) {
  return extApi()
    .runtime.sendMessage({ panza: method })
    .then(
      (/** @type {any} */ reply) => reply ?? { ok: false, code: 'internal', message: 'no answer from the extension' },
      (/** @type {any} */ error) => ({ ok: false, code: 'internal', message: String(error?.message ?? error) }),
    );
}

/** @param {string} id @param {string} text */
function show(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

async function refresh() {
  const ping = await ask('ping');
  const status = ping.ok ? await ask('status') : null;
  const view = optionsView(ping, status);
  show('connection', view.connection);
  document.getElementById('connection')?.setAttribute('data-state', view.state);
  show('adapter', view.adapter);
  show('training', view.training);
  show('emails', view.emails);
  const retrain = /** @type {HTMLButtonElement|null} */ (document.getElementById('retrain'));
  // Only when it changes: the line next to the button also tells how the last click went.
  if (retrain && retrain.hidden === view.retrain) {
    retrain.hidden = !view.retrain;
    show('retrain-result', view.retrain ? '' : RETRAIN_ABSENT);
  }
}

document.getElementById('retrain')?.addEventListener('click', async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  button.disabled = true;
  show('retrain-result', 'Asking Panza…');
  try {
    show('retrain-result', retrainLine(await ask('retrain')));
  } finally {
    button.disabled = false;
    refresh();
  }
});

refresh();
setInterval(() => {
  if (document.visibilityState === 'visible') refresh();
}, REFRESH_MS);

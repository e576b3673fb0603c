// @ts-check
/**
 * Gmail: give every compose window (new, reply, pop-out) Panza's controls. One
 * MutationObserver watches the page; each change schedules one scan.
 */
import { addControls, hasControls } from './controls.js';
import { composeWindows } from './dom.js';
import { watchSend } from './feedback.js';
import { DraftRun } from './run.js';

const SCAN_DELAY_MS = 50;

/**
 * @typedef {object} StartOptions
 * @property {Document} [doc]
 * @property {() => chrome.runtime.Port} [connect]
 * @property {import('./insert.js').Exec} [exec]
 * @property {(message: FeedbackMessage) => void} [sendFeedback] tells the worker what was sent
 */

/** @typedef {{type: 'feedback', draft_id: string, text: string}} FeedbackMessage */
/** @typedef {{id: string|null}} Drafted the id of the last draft written into a window */

/**
 * @param {StartOptions} [options]
 * @returns {{scan: () => void, stop: () => void}}
 */
export function start(options = {}) {
  const doc = options.doc ?? document;
  const connect = options.connect ?? (() => chrome.runtime.connect({ name: 'panza-draft' }));
  const sendFeedback = options.sendFeedback ?? tellWorker;
  /** @type {WeakMap<Element, Drafted>} the compose windows seen, each with its last draft */
  const windows = new WeakMap();
  const scan = () => {
    for (const { root, body } of composeWindows(doc)) {
      let drafted = windows.get(root);
      if (!drafted) {
        const fresh = { id: /** @type {string|null} */ (null) };
        watchSend(root, (text) => {
          if (fresh.id) sendFeedback({ type: 'feedback', draft_id: fresh.id, text });
        });
        windows.set(root, fresh);
        drafted = fresh;
      }
      if (!hasControls(root)) attach(root, body, connect, drafted, options.exec);
    }
  };
  /** @type {ReturnType<typeof setTimeout>|null} */
  let timer = null;
  const view = doc.defaultView ?? globalThis;
  const observer = new view.MutationObserver(() => {
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        scan();
      }, SCAN_DELAY_MS);
    }
  });
  observer.observe(doc.body, { childList: true, subtree: true });
  scan();
  return {
    scan,
    stop: () => {
      observer.disconnect();
      if (timer !== null) clearTimeout(timer);
    },
  };
}

/**
 * @param {Element} root
 * @param {HTMLElement} body
 * @param {() => chrome.runtime.Port} connect
 * @param {Drafted} drafted
 * @param {import('./insert.js').Exec} [exec]
 */
function attach(root, body, connect, drafted, exec) {
  const controls = addControls(root, body);
  /** @type {DraftRun|null} */
  let run = null;
  const toggle = () => {
    if (run) {
      run.stop();
      return;
    }
    run = new DraftRun({
      root,
      body,
      controls,
      connect,
      exec,
      onEnd: (outcome) => {
        run = null;
        const id = outcome.ok ? outcome.result?.draft_id : null;
        if (typeof id === 'string' && id) drafted.id = id;
      },
    });
    run.start();
  };
  controls.button.addEventListener('click', toggle);
  controls.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) {
      event.preventDefault();
      if (!run) toggle();
    }
  });
}

/**
 * The worker sends `feedback` over its native port; a page reloaded under an updated
 * extension has no worker to tell, and the feedback is lost (the sent mail, once
 * synced, is matched to the draft instead).
 * @param {FeedbackMessage} message
 */
function tellWorker(message) {
  try {
    chrome.runtime.sendMessage(message).catch(() => {});
  } catch {
    // extension context invalidated
  }
}

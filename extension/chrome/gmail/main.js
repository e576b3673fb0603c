/**
 * Gmail: give every compose window (new, reply, pop-out) Panza's controls. One
 * MutationObserver watches the page; each change schedules one scan.
 */
import { addControls, hasControls } from './controls.js';
import { composeWindows } from './dom.js';
import { DraftRun } from './run.js';

const SCAN_DELAY_MS = 50;

/**
 * @typedef {object} StartOptions
 * @property {Document} [doc]
 * @property {() => chrome.runtime.Port} [connect]
 * @property {import('./insert.js').Exec} [exec]
 */

/**
 * @param {StartOptions} [options]
 * @returns {{scan: () => void, stop: () => void}}
 */
export function start(options = {}) {
  const doc = options.doc ?? document;
  const connect = options.connect ?? (() => chrome.runtime.connect({ name: 'panza-draft' }));
  const scan = () => {
    for (const { root, body } of composeWindows(doc)) {
      if (!hasControls(root)) attach(root, body, connect, options.exec);
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
 * @param {import('./insert.js').Exec} [exec]
 */
function attach(root, body, connect, exec) {
  const controls = addControls(root, body);
  /** @type {DraftRun|null} */
  let run = null;
  const toggle = () => {
    if (run) {
      run.stop();
      return;
    }
    run = new DraftRun({ root, body, controls, connect, exec, onEnd: () => (run = null) });
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

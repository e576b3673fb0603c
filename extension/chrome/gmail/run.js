// @ts-check
/**
 * One draft in one compose window: read the window, ask the worker over a runtime
 * port, stream tokens into the body, show status, and let Stop cancel it.
 */
import { oneLine } from '../common/messages.js';
import { setRunning, setStatus } from './controls.js';
import { TextInserter } from './insert.js';
import { readCompose } from './read.js';

/**
 * @typedef {object} RunOptions
 * @property {Element} root the compose window
 * @property {HTMLElement} body its body editor
 * @property {import('./controls.js').Controls} controls
 * @property {() => chrome.runtime.Port} connect opens a "panza-draft" port to the worker
 * @property {import('./insert.js').Exec} [exec] execCommand, for tests
 * @property {(outcome: import('../common/session.js').Outcome) => void} onEnd called once, when the run is over
 */

export class DraftRun {
  /** @param {RunOptions} options */
  constructor(options) {
    this.options = options;
    this.inserter = new TextInserter(options.body, options.exec);
    /** @type {chrome.runtime.Port|null} */
    this.port = null;
    this.ended = false;
    this.tokens = 0;
  }

  start() {
    const { root, controls, connect } = this.options;
    setRunning(controls, true);
    setStatus(controls, 'Drafting…');
    let params;
    try {
      params = readCompose(root, controls.input.value);
    } catch (error) {
      const detail = String(/** @type {any} */ (error)?.message ?? error);
      this.end({ ok: false, code: 'internal', title: 'Panza could not read this compose window', detail });
      return;
    }
    try {
      this.port = connect();
    } catch {
      // The extension was reloaded or updated under this page.
      this.end({ ok: false, code: 'unavailable', title: 'Panza was updated', detail: 'Reload this Gmail tab to use it.' });
      return;
    }
    this.port.onMessage.addListener((message) => this.handle(message));
    this.port.onDisconnect.addListener(() => {
      this.port = null;
      this.end({
        ok: false,
        code: 'unavailable',
        title: 'Panza stopped answering',
        detail: 'Try again; if it keeps happening, reload this Gmail tab.',
      });
    });
    this.port.postMessage({ type: 'draft', params });
  }

  stop() {
    if (this.ended || !this.port) return;
    setStatus(this.options.controls, 'Stopping…');
    this.port.postMessage({ type: 'stop' });
  }

  /** @param {any} message */
  handle(message) {
    if (this.ended) return;
    if (message?.type === 'token') {
      if (!this.options.body.isConnected) {
        this.stop(); // the compose window was closed: no one is reading
        return;
      }
      this.tokens += 1;
      this.inserter.write(String(message.text));
    } else if (message?.type === 'status') {
      setStatus(this.options.controls, String(message.text));
    } else if (message?.type === 'done') {
      this.end(message.outcome);
    }
  }

  /** @param {import('../common/session.js').Outcome} outcome */
  end(outcome) {
    if (this.ended) return;
    this.ended = true;
    const { controls, onEnd } = this.options;
    setRunning(controls, false);
    if (outcome.ok) {
      const version = outcome.result?.adapter_version;
      setStatus(controls, version != null ? `Draft ready (style v${version})` : 'Draft ready', 'done');
    } else if (outcome.code === 'cancelled') {
      setStatus(controls, oneLine(outcome), 'info');
    } else {
      setStatus(controls, oneLine(outcome), 'error');
    }
    if (this.port) {
      try {
        this.port.disconnect();
      } catch {
        // already closed
      }
      this.port = null;
    }
    onEnd(outcome);
  }
}

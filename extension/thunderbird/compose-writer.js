// @ts-check
/**
 * Writes a streaming draft into a Thunderbird compose window. `compose.setComposeDetails`
 * replaces the whole body, so updates are batched (one per `intervalMs`) and run one
 * at a time; each re-reads the body so that the quote and signature stay as they are.
 */
import { htmlWithDraft, plainWithDraft } from './body.js';

export class ComposeWriter {
  /**
   * @param {MailApi['compose']} compose the `messenger.compose` API
   * @param {number} tabId
   * @param {{isPlainText?: boolean, body?: string, plainTextBody?: string}} details the window when the draft started
   * @param {{intervalMs?: number, Parser?: typeof DOMParser}} [options]
   */
  constructor(compose, tabId, details, options = {}) {
    this.compose = compose;
    this.tabId = tabId;
    this.plain = Boolean(details.isPlainText);
    this.original = (this.plain ? details.plainTextBody : details.body) ?? '';
    this.intervalMs = options.intervalMs ?? 120;
    this.Parser = options.Parser;
    this.text = '';
    this.written = '';
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.timer = null;
    /** @type {Promise<void>} */
    this.queue = Promise.resolve();
    /** @type {unknown} the error that stopped updates (window closed) */
    this.failed = null;
  }

  /** @param {string} token */
  write(token) {
    this.text += token;
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.enqueue(false);
      }, this.written ? this.intervalMs : 0); // the first words show at once
    }
  }

  /** The last update (drops the streaming wrapper); resolves once the body is set. */
  async finish() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.text) return this.queue;
    return this.enqueue(true);
  }

  /** @param {boolean} final */
  enqueue(final) {
    this.queue = this.queue.then(() => this.update(final)).catch((error) => {
      this.failed = error; // the window was closed, most likely; later updates fail the same way
    });
    return this.queue;
  }

  /** @param {boolean} final */
  async update(final) {
    const text = this.text;
    if (!final && text === this.written) return;
    const details = await this.compose.getComposeDetails(this.tabId);
    if (this.plain) {
      const body = plainWithDraft(details.plainTextBody ?? '', this.original, this.written, text, { final });
      await this.compose.setComposeDetails(this.tabId, { plainTextBody: body });
    } else {
      const body = htmlWithDraft(details.body ?? '', this.original, text, { final, Parser: this.Parser });
      await this.compose.setComposeDetails(this.tabId, { body });
    }
    this.written = text;
  }
}

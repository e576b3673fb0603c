// @ts-check
/**
 * Drafts in progress, one per compose tab, and who is watching them: the popup can
 * close and open again while a draft streams; Stop and closing the tab cancel it.
 */
import { oneLine } from './common/messages.js';
import { runDraft } from './common/session.js';
import { ComposeWriter } from './compose-writer.js';
import { readDraftRequest } from './compose-read.js';
import { SentFeedback } from './feedback.js';

/** @typedef {{running: boolean, text: string, kind: 'info'|'error'|'done'}} TabState */

export class Drafts {
  /**
   * @param {MailApi} api `messenger`
   * @param {import('./common/client.js').PanzaClient} client
   * @param {{intervalMs?: number}} [writerOptions] how often the body is rewritten while streaming
   */
  constructor(api, client, writerOptions = {}) {
    this.api = api;
    this.client = client;
    this.writerOptions = writerOptions;
    /** @type {Map<number, {stop: () => void}>} */
    this.running = new Map();
    /** @type {Map<number, TabState>} */
    this.states = new Map();
    /** @type {Map<number, Set<(state: TabState) => void>>} */
    this.watchers = new Map();
    this.sent = new SentFeedback(client);
  }

  /**
   * @param {number} tabId
   * @returns {TabState}
   */
  state(tabId) {
    return this.states.get(tabId) ?? { running: false, text: '', kind: 'info' };
  }

  /**
   * @param {number} tabId
   * @param {(state: TabState) => void} fn
   * @returns {() => void} unwatch
   */
  watch(tabId, fn) {
    const set = this.watchers.get(tabId) ?? new Set();
    set.add(fn);
    this.watchers.set(tabId, set);
    fn(this.state(tabId));
    return () => set.delete(fn);
  }

  /**
   * @param {number} tabId
   * @param {TabState} state
   */
  set(tabId, state) {
    this.states.set(tabId, state);
    for (const fn of this.watchers.get(tabId) ?? []) fn(state);
  }

  /**
   * Draft into the compose window in `tabId`; resolves when the draft is over.
   * @param {number} tabId
   * @param {string} instruction empty: reply to the message being answered
   */
  async start(tabId, instruction) {
    if (this.running.has(tabId)) return;
    let stopped = false;
    this.running.set(tabId, { stop: () => (stopped = true) });
    this.set(tabId, { running: true, text: 'Reading the message…', kind: 'info' });
    try {
      const { details, params } = await readDraftRequest(this.api, tabId, instruction);
      if (stopped) {
        this.set(tabId, { running: false, text: 'Stopped.', kind: 'info' });
        return;
      }
      const writer = new ComposeWriter(this.api.compose, tabId, details, this.writerOptions);
      const run = runDraft(this.client, params, {
        onToken: (text) => writer.write(text),
        onStatus: (text) => this.set(tabId, { running: true, text, kind: 'info' }),
      });
      this.running.set(tabId, run);
      this.set(tabId, { running: true, text: 'Drafting…', kind: 'info' });
      const outcome = await run.done;
      await writer.finish();
      if (outcome.ok) {
        this.sent.drafted(tabId, outcome.result?.draft_id);
        const v = outcome.result?.adapter_version;
        this.set(tabId, { running: false, text: v != null ? `Draft ready (style v${v})` : 'Draft ready', kind: 'done' });
      } else {
        const kind = outcome.code === 'cancelled' ? 'info' : 'error';
        this.set(tabId, { running: false, text: oneLine(outcome), kind });
      }
    } catch (error) {
      this.set(tabId, { running: false, text: `Panza hit an error. ${String(/** @type {any} */ (error)?.message ?? error)}`, kind: 'error' });
    } finally {
      this.running.delete(tabId);
    }
  }

  /** @param {number} tabId */
  stop(tabId) {
    this.running.get(tabId)?.stop();
  }

  /** @param {number} tabId the tab was closed */
  forget(tabId) {
    this.stop(tabId);
    this.sent.forget(tabId);
    this.states.delete(tabId);
    this.watchers.delete(tabId);
  }
}

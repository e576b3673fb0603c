// @ts-check
/**
 * What the user finally sends after a Panza draft goes back to the daemon as `feedback`:
 * how much of a draft survives is how Panza learns whether its drafts help.
 * `compose.onBeforeSend` gives the body as sent (read here, never waited on), and
 * `compose.onAfterSend` says whether it went: only then is the feedback sent.
 */
import { feedbackParams } from './common/params.js';
import { elementText } from './common/text.js';
import { stripQuoted } from './message-text.js';

const LEFT_OUT = 'blockquote[type="cite"], .moz-cite-prefix, .moz-signature, .moz-forward-container';
const SIGNATURE = /\n-- \n[\s\S]*$/;

/**
 * The text the user wrote in a compose window: no quote, no signature.
 * @param {{isPlainText?: boolean, body?: string, plainTextBody?: string}} details ComposeDetails
 * @param {typeof DOMParser} [Parser]
 */
export function sentText(details, Parser = globalThis.DOMParser) {
  if (details.isPlainText) return stripQuoted(`\n${details.plainTextBody ?? ''}`.replace(SIGNATURE, ''));
  const doc = new Parser().parseFromString(details.body ?? '', 'text/html');
  return elementText(doc.body ?? doc, (el) => el.matches(LEFT_OUT));
}

export class SentFeedback {
  /**
   * @param {import('./common/client.js').PanzaClient} client
   * @param {typeof DOMParser} [Parser]
   */
  constructor(client, Parser) {
    this.client = client;
    this.Parser = Parser;
    /** @type {Map<number, string>} compose tab -> id of the last draft written into it */
    this.drafts = new Map();
    /** @type {Map<number, {draft_id: string, text: string}>} being sent now */
    this.sending = new Map();
  }

  /**
   * @param {number} tabId
   * @param {unknown} draftId the draft result's draft_id
   */
  drafted(tabId, draftId) {
    if (typeof draftId === 'string' && draftId) this.drafts.set(tabId, draftId);
  }

  /**
   * compose.onBeforeSend: note the text; returns nothing, so sending does not wait.
   * @param {number} tabId
   * @param {messenger.compose.ComposeDetails} details as they are sent
   */
  beforeSend(tabId, details) {
    const params = feedbackParams(this.drafts.get(tabId), sentText(details, this.Parser));
    if (params) this.sending.set(tabId, params);
  }

  /**
   * compose.onAfterSend: a message that went (now or later) reports its text.
   * @param {number} tabId
   * @param {{mode?: string, error?: string}} sendInfo
   * @returns {Promise<boolean>} whether feedback was recorded
   */
  async afterSend(tabId, sendInfo) {
    const params = this.sending.get(tabId);
    this.sending.delete(tabId);
    const sent = (sendInfo?.mode === 'sendNow' || sendInfo?.mode === 'sendLater') && !sendInfo.error;
    if (!params || !sent) return false;
    this.drafts.delete(tabId);
    try {
      await this.client.call('feedback', params);
      return true;
    } catch (error) {
      console.debug(`Panza: feedback not recorded (${/** @type {any} */ (error)?.code ?? 'error'})`);
      return false;
    }
  }

  /** @param {number} tabId the compose window is gone (sent or not) */
  forget(tabId) {
    this.drafts.delete(tabId);
  }
}

// @ts-check
/**
 * The background's answer to its own extension pages (the options page): they ask
 * for `status`, `ping` or `retrain` and the background, which owns the native port,
 * relays the call. Content scripts may only report what was sent after a draft
 * (`feedback`); other extensions are not served here.
 */
import { feedbackParams } from './params.js';

const METHODS = new Set(['ping', 'status', 'retrain']);

/**
 * A runtime.onMessage listener serving `{panza: method}` messages.
 * @param {import('./client.js').PanzaClient} client
 * @param {string} pagesOrigin the extension's own base URL (runtime.getURL(''))
 */
export function pageRequests(client, pagesOrigin) {
  /**
   * @param {any} message
   * @param {{url?: string}} sender
   * @param {(reply: any) => void} sendResponse
   */
  return (message, sender, sendResponse) => {
    if (!message || !METHODS.has(message.panza)) return false;
    if (!sender?.url?.startsWith(pagesOrigin)) return false;
    client.call(message.panza, {}).then(
      (result) => sendResponse({ ok: true, result }),
      (error) => sendResponse({ ok: false, code: error?.code ?? 'internal', message: String(error?.message ?? error) }),
    );
    return true; // the answer comes later
  };
}

/**
 * A runtime.onMessage listener for `{type: 'feedback', draft_id, text}` from this
 * extension's own scripts: the text the user sent after a draft, relayed to the daemon.
 * Nothing is answered; a failure is noted without the text.
 * @param {import('./client.js').PanzaClient} client
 * @param {string} extensionId runtime.id
 * @returns {(message: any, sender: {id?: string}) => false}
 */
export function feedbackRequests(client, extensionId) {
  return (message, sender) => {
    if (message?.type !== 'feedback' || sender?.id !== extensionId) return false;
    const params = feedbackParams(message.draft_id, message.text);
    if (params) {
      client.call('feedback', params).catch((error) => console.debug(`Panza: feedback not recorded (${error?.code ?? 'error'})`));
    }
    return false;
  };
}

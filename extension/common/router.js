/**
 * The background's answer to its own extension pages (the options page): they ask
 * for `status`, `ping` or `retrain` and the background, which owns the native port,
 * relays the call. Content scripts and other extensions are not served here.
 */

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

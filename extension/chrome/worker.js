// @ts-check
/**
 * Chrome's service worker: owns the one native port to Panza. Gmail's content script
 * opens a runtime port per draft ("panza-draft") and gets tokens, status lines and the
 * outcome back over it; closing that port (tab closed, Stop) cancels the request. When
 * the user sends a window Panza drafted into, the script reports the text as `feedback`.
 */
import { PanzaClient } from './common/client.js';
import { draftParams } from './common/params.js';
import { feedbackRequests, pageRequests } from './common/router.js';
import { runDraft } from './common/session.js';

const client = new PanzaClient();

chrome.runtime.onMessage.addListener(pageRequests(client, chrome.runtime.getURL('')));
chrome.runtime.onMessage.addListener(feedbackRequests(client, chrome.runtime.id));

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== 'panza-draft' || port.sender?.id !== chrome.runtime.id) return;
  /** @type {ReturnType<typeof runDraft>|null} */
  let run = null;
  let open = true;
  /** @param {any} message */
  const post = (message) => {
    if (open) port.postMessage(message);
  };
  port.onDisconnect.addListener(() => {
    open = false;
    run?.stop();
  });
  port.onMessage.addListener(async (message) => {
    if (message?.type === 'stop') {
      run?.stop();
      return;
    }
    if (message?.type !== 'draft' || run) return;
    run = runDraft(client, draftParams(message.params ?? {}), {
      onToken: (text) => post({ type: 'token', text }),
      onStatus: (text) => post({ type: 'status', text }),
    });
    const outcome = await run.done;
    post({ type: 'done', outcome });
    open = false;
    port.disconnect();
  });
});

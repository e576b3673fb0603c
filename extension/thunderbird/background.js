// @ts-check
/**
 * Thunderbird's background (an event page): owns the native port to Panza, runs
 * drafts for the compose windows, serves the popup and the options page, and reports
 * what the user sent after a draft as `feedback`.
 */
import { PanzaClient } from './common/client.js';
import { pageRequests } from './common/router.js';
import { Drafts } from './drafts.js';

const api = messenger;
const client = new PanzaClient();
const drafts = new Drafts(api, client);

api.runtime.onMessage.addListener(pageRequests(client, api.runtime.getURL('')));

api.runtime.onConnect.addListener((port) => {
  if (port.name !== 'panza-popup' || port.sender?.id !== api.runtime.id) return;
  /** @type {(() => void)|null} */
  let unwatch = null;
  port.onMessage.addListener((/** @type {any} */ message) => {
    const tabId = Number(message?.tabId);
    if (!Number.isInteger(tabId)) return;
    if (message.type === 'watch') {
      unwatch?.();
      unwatch = drafts.watch(tabId, (state) => port.postMessage({ type: 'state', tabId, state }));
    } else if (message.type === 'draft') {
      drafts.start(tabId, String(message.instruction ?? ''));
    } else if (message.type === 'stop') {
      drafts.stop(tabId);
    }
  });
  // Closing the popup does not stop the draft; it goes on streaming into the window.
  port.onDisconnect.addListener(() => unwatch?.());
});

api.tabs.onRemoved.addListener((/** @type {number} */ tabId) => drafts.forget(tabId));

// What the user sends after a draft goes back as feedback. The listener returns nothing,
// so Thunderbird never waits on Panza to send.
api.compose.onBeforeSend.addListener((tab, details) => {
  if (tab.id !== undefined) drafts.sent.beforeSend(tab.id, details);
});
api.compose.onAfterSend.addListener((tab, sendInfo) => {
  if (tab.id !== undefined) drafts.sent.afterSend(tab.id, sendInfo);
});

/**
 * A `messenger` for the Thunderbird code: compose details and messages from the recorded
 * shapes in fixtures/thunderbird/. setComposeDetails stores the body the way the editor
 * does (parsed and serialized again), so the next getComposeDetails returns that.
 */
import { fixtureJson } from './dom.js';

/**
 * @param {{details: string, inlineParts?: boolean}} options fixture name of the compose details
 */
export function fakeMessenger(options) {
  const details = fixtureJson(`thunderbird/${options.details}`);
  /** @type {any[]} */
  const sets = [];
  const api = {
    sets,
    details,
    compose: {
      async getComposeDetails(/** @type {number} */ tabId) {
        if (tabId !== 7) throw new Error(`Invalid compose tab: ${tabId}`);
        return structuredClone(details);
      },
      async setComposeDetails(/** @type {number} */ tabId, /** @type {any} */ update) {
        if (tabId !== 7) throw new Error(`Invalid compose tab: ${tabId}`);
        sets.push(update);
        if (typeof update.body === 'string') {
          const doc = new DOMParser().parseFromString(update.body, 'text/html');
          details.body = `<!DOCTYPE html>\n${doc.documentElement.outerHTML}`;
        }
        if (typeof update.plainTextBody === 'string') details.plainTextBody = update.plainTextBody;
      },
    },
    messages: {
      async get(/** @type {number} */ id) {
        return id === 17 ? fixtureJson('thunderbird/message-header.json') : null;
      },
      async getFull(/** @type {number} */ id) {
        if (id !== 17) throw new Error(`Message not found: ${id}.`);
        return fixtureJson('thunderbird/message-full.json');
      },
      /** @type {any} */
      listInlineTextParts: undefined,
    },
  };
  if (options.inlineParts) {
    api.messages.listInlineTextParts = async (/** @type {number} */ id) => {
      if (id !== 17) throw new Error(`Message not found: ${id}.`);
      return fixtureJson('thunderbird/inline-text-parts.json');
    };
  }
  return api;
}

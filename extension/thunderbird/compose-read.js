// @ts-check
/**
 * A `draft` request from a Thunderbird compose window: its type, subject and "To"
 * from `compose.getComposeDetails`, and for replies (and forwards) the related
 * message as the thread.
 */
import { draftParams } from './common/params.js';
import { threadEntry } from './message-text.js';

/**
 * Recipients as strings ("Name <addr>"); contact and list references are left out.
 * @param {unknown} field a ComposeRecipientList
 * @returns {string[]}
 */
export function recipients(field) {
  if (typeof field === 'string') return field ? [field] : [];
  if (!Array.isArray(field)) return [];
  return field.filter((r) => typeof r === 'string' && r.trim());
}

/**
 * @param {messenger.compose.ComposeDetails} details
 * @param {string} instruction
 * @param {{from: string, date: string, text: string}[]} thread
 */
export function paramsFromDetails(details, instruction, thread) {
  return draftParams({
    instruction,
    mode: details.type === 'reply' ? 'reply' : 'new',
    subject: details.subject ?? '',
    to: recipients(details.to),
    thread,
  });
}

/**
 * @param {MailApi} api `messenger`
 * @param {number} tabId the compose tab
 * @param {string} instruction
 * @returns {Promise<{details: any, params: import('./common/params.js').DraftParams}>}
 */
export async function readDraftRequest(api, tabId, instruction) {
  const details = await api.compose.getComposeDetails(tabId);
  const related = details.relatedMessageId;
  /** @type {import('./common/params.js').ThreadMessage[]} */
  let thread = [];
  if (related != null && (details.type === 'reply' || details.type === 'forward')) {
    try {
      thread = [await threadEntry(api, related)];
    } catch (error) {
      console.warn('Panza: could not read the message being replied to', error);
    }
  }
  return { details, params: paramsFromDetails(details, instruction, thread) };
}

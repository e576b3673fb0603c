// @ts-check
/**
 * What a compose window says: subject, "To" recipients, and, for a reply, the
 * expanded messages of the thread on screen (oldest first).
 */
import { elementText } from '../common/text.js';
import { all, closest, first, matches, miss } from './dom.js';

const REPLY_SUBJECT = /^\s*(re|aw|sv|vs|antw|r|res|rif|odp|ynt)\s*(\[\d+\])?\s*:/i;

/**
 * @param {Element} root the compose window
 * @param {string} instruction what the user typed into Panza's field
 * @returns {{instruction: string, mode: 'new'|'reply', subject: string, to: string[], thread: {from: string, date: string, text: string}[]}}
 */
export function readCompose(root, instruction) {
  const subjectEl = /** @type {HTMLInputElement|null} */ (first(root, 'subject'));
  if (!subjectEl) miss('subject');
  const subject = subjectEl?.value ?? '';
  const doc = root.ownerDocument;
  const view = closest(root, 'threadView');
  const inThread = Boolean(view && all(view, 'threadMessage').length);
  const thread = inThread || REPLY_SUBJECT.test(subject) ? readThread(doc, root) : [];
  return {
    instruction,
    mode: thread.length && (inThread || REPLY_SUBJECT.test(subject)) ? 'reply' : 'new',
    subject,
    to: readRecipients(root),
    thread,
  };
}

/**
 * @param {Element} root
 * @returns {string[]}
 */
export function readRecipients(root) {
  const out = [];
  for (const el of all(root, 'to')) {
    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') {
      const value = /** @type {HTMLInputElement} */ (el).value;
      out.push(...value.split(',').map((a) => a.trim()).filter(Boolean));
      continue;
    }
    const email = el.getAttribute('data-hovercard-id') ?? el.getAttribute('email') ?? '';
    const name = el.getAttribute('data-name') ?? el.getAttribute('name') ?? '';
    if (email) out.push(name && name !== email ? `${name} <${email}>` : email);
  }
  return [...new Set(out)];
}

/**
 * The expanded messages on screen, oldest first, without their quoted history.
 * @param {Document} doc
 * @param {Element} [exclude] the compose window itself
 * @returns {{from: string, date: string, text: string}[]}
 */
export function readThread(doc, exclude) {
  const messages = [];
  for (const message of all(doc, 'threadMessage')) {
    if (exclude?.contains(message)) continue;
    const body = first(message, 'messageBody');
    if (!body) continue; // collapsed
    const text = elementText(body, (el) => matches(el, 'quoted'));
    if (!text) continue;
    const sender = first(message, 'messageSender');
    const email = sender?.getAttribute('email') ?? '';
    const name = sender?.getAttribute('name') ?? sender?.textContent?.trim() ?? '';
    const dateEl = first(message, 'messageDate');
    messages.push({
      from: name && email && name !== email ? `${name} <${email}>` : email || name,
      date: dateEl?.getAttribute('title') || dateEl?.textContent?.trim() || '',
      text,
    });
  }
  return messages;
}

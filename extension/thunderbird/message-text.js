// @ts-check
/**
 * The text of the message being replied to, from Thunderbird's message APIs:
 * `messages.listInlineTextParts` where it exists, else the `messages.getFull` MIME tree.
 * Plain text is preferred; HTML is converted. Quoted history is left out.
 */
import { elementText, tidy } from './common/text.js';

/** @typedef {{contentType: string, content: string}} TextPart */

/**
 * Text parts of a getFull() MessagePart tree, depth first (attachments left out).
 * @param {messenger.messages.MessagePart} part
 * @returns {TextPart[]}
 */
export function textParts(part) {
  /** @type {TextPart[]} */
  const out = [];
  /** @param {messenger.messages.MessagePart|undefined} p */
  const walk = (p) => {
    if (!p) return;
    const type = String(p.contentType ?? '').toLowerCase();
    const attachment = /attachment/i.test(String(p.headers?.['content-disposition']?.[0] ?? '')) || Boolean(p.name);
    if (type.startsWith('text/') && typeof p.body === 'string' && !attachment) {
      out.push({ contentType: type, content: p.body });
    }
    for (const child of p.parts ?? []) walk(child);
  };
  walk(part);
  return out;
}

/**
 * The best text of a message: its text/plain part, else its HTML as text.
 * @param {TextPart[]} parts
 * @param {(html: string) => string} [fromHtml]
 */
export function bestText(parts, fromHtml = htmlText) {
  const plain = parts.find((p) => p.contentType.startsWith('text/plain'));
  if (plain) return stripQuoted(plain.content);
  const html = parts.find((p) => p.contentType.startsWith('text/html'));
  return html ? stripQuoted(fromHtml(html.content)) : '';
}

/**
 * HTML to text without the quoted history (Thunderbird's and Gmail's quote markers).
 * @param {string} html
 */
export function htmlText(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return elementText(doc.body, (el) =>
    el.matches('blockquote[type="cite"], .moz-cite-prefix, .gmail_quote, .moz-forward-container'),
  );
}

/**
 * Drop quoted lines ("> ...") and the attribution line that introduces them.
 * @param {string} text
 */
export function stripQuoted(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (/^\s*>/.test(line)) continue;
    const next = lines.slice(i + 1).find((l) => l.trim() !== '');
    if (/:\s*$/.test(line) && next !== undefined && /^\s*>/.test(next)) continue;
    kept.push(line);
  }
  return tidy(kept.join('\n'));
}

/**
 * The message with id `messageId` as a thread entry {from, date, text}.
 * @param {Pick<MailApi, 'messages'>} api `messenger`
 * @param {number} messageId
 */
export async function threadEntry(api, messageId) {
  const header = await api.messages.get(messageId);
  let parts;
  if (typeof api.messages.listInlineTextParts === 'function') {
    parts = (await api.messages.listInlineTextParts(messageId)).map((p) => ({
      contentType: String(p.contentType).toLowerCase(),
      content: String(p.content ?? ''),
    }));
  } else {
    parts = textParts(await api.messages.getFull(messageId));
  }
  const text = bestText(parts);
  return { from: String(header?.author ?? ''), date: isoDate(header?.date), text };
}

/** @param {unknown} value */
function isoDate(value) {
  if (value == null) return '';
  const date = new Date(/** @type {any} */ (value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

// @ts-check
/**
 * `draft` params as the daemon validates them (daemon/protocol.py DraftParams):
 * trimmed to its limits, and to what fits a 1 MiB native-messaging frame, keeping
 * the newest thread messages and the start of each.
 */

export const LIMITS = Object.freeze({
  instruction: 10_000,
  subject: 1000,
  recipients: 100,
  address: 1000,
  date: 200,
  messages: 50,
  messageText: 20_000,
  threadText: 200_000,
  draftId: 200,
  feedbackText: 200_000,
});

/** @typedef {{from: string, date: string, text: string}} ThreadMessage */
/**
 * @typedef {object} DraftParams
 * @property {string} instruction
 * @property {'new'|'reply'} mode
 * @property {string} subject
 * @property {string[]} to
 * @property {ThreadMessage[]} thread oldest first
 */

/**
 * @param {{instruction?: string, mode?: string, subject?: string, to?: string[], thread?: Partial<ThreadMessage>[]}} raw
 * @returns {DraftParams}
 */
export function draftParams(raw) {
  const thread = [];
  let budget = LIMITS.threadText;
  // Newest first while the budget lasts, then back to oldest first.
  for (const m of [...(raw.thread ?? [])].reverse().slice(0, LIMITS.messages)) {
    const text = clip((m.text ?? '').trim(), Math.min(LIMITS.messageText, budget));
    if (!text) continue;
    budget -= text.length;
    thread.push({ from: clip(m.from ?? '', LIMITS.address), date: clip(m.date ?? '', LIMITS.date), text });
    if (budget <= 0) break;
  }
  thread.reverse();
  return {
    instruction: clip((raw.instruction ?? '').trim(), LIMITS.instruction),
    mode: raw.mode === 'reply' ? 'reply' : 'new',
    subject: clip((raw.subject ?? '').trim(), LIMITS.subject),
    to: (raw.to ?? []).map((a) => clip(a.trim(), LIMITS.address)).filter(Boolean).slice(0, LIMITS.recipients),
    thread,
  };
}

/**
 * `feedback` params (daemon/protocol.py FeedbackParams): the draft's id and the text the
 * user sent, within the daemon's limits; null without a usable draft id.
 * @param {unknown} draftId
 * @param {unknown} text
 * @returns {{draft_id: string, text: string}|null}
 */
export function feedbackParams(draftId, text) {
  if (typeof draftId !== 'string' || !draftId || draftId.length > LIMITS.draftId) return null;
  return { draft_id: draftId, text: clip(typeof text === 'string' ? text.trim() : '', LIMITS.feedbackText) };
}

/**
 * The first `max` UTF-16 units of `text`, one fewer where the cut would split a surrogate
 * pair: half a pair is not valid Unicode and the daemon would reject the whole draft. A
 * lone surrogate already in the text (a page can hold one) becomes U+FFFD for that reason.
 * @param {string} text
 * @param {number} max
 */
export function clip(text, max) {
  const whole = text.toWellFormed();
  if (whole.length <= max) return whole;
  const end = Math.max(0, max);
  const last = whole.charCodeAt(end - 1);
  return whole.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

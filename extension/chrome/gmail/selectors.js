// @ts-check
/**
 * Gmail's DOM, as data. Gmail's class names are obfuscated but long-lived; each entry
 * lists selectors best first, and the first that matches wins. When Gmail changes,
 * fix it here (the unit tests run against a page in Gmail's structure).
 */
export const SELECTORS = Object.freeze({
  /** the compose body editor */
  body: [
    'div[contenteditable="true"][g_editable="true"]',
    'div.Am.Al.editable[contenteditable="true"]',
    'div[contenteditable="true"][role="textbox"][aria-multiline="true"]',
  ],
  /** a compose window (dialog, inline reply or pop-out), found upward from its body */
  composeRoot: ['div.M9', 'div.AD', 'div[role="dialog"]'],
  subject: ['input[name="subjectbox"]', 'input[name="subject"]'],
  /** "To" recipients: chips first, then the hidden inputs older layouts keep */
  to: [
    'div[name="to"] [data-hovercard-id]',
    'div.aoD.hl [email]',
    'input[name="to"]',
    'textarea[name="to"]',
  ],
  /** where the send button sits; our controls go right after it */
  sendCell: ['td.gU.Up'],
  sendButton: [
    'div[role="button"].T-I.aoO',
    'div[role="button"][data-tooltip^="Send"]',
    '[role="button"][aria-label^="Send"]',
  ],
  /** the thread on screen: expanded messages only (collapsed ones have no body) */
  threadView: ['div[role="main"]'],
  threadMessage: ['div.adn[data-message-id]', 'div[data-message-id]', 'div[data-legacy-message-id]'],
  messageBody: ['div.a3s', 'div.ii.gt'],
  messageSender: ['span.gD[email]', 'h3 span[email]'],
  messageDate: ['span.g3[title]', 'span.g3'],
  /**
   * quoted history inside a message or a body: not part of what was written. Gmail hides
   * trimmed history in div.h5 and renames it div.im once "Show trimmed content" is clicked.
   */
  quoted: ['div.gmail_quote', 'blockquote', 'div.h5', 'div.im', 'div.adm', 'div.gmail_extra'],
  /** what must stay below the draft in the body */
  keepBelow: ['div.gmail_quote', 'span.gmail_signature_prefix', 'div.gmail_signature', 'div.gmail_extra'],
});

/** @typedef {keyof typeof SELECTORS} SelectorName */

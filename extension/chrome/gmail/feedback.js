// @ts-check
/**
 * What the user finally sends after a Panza draft goes back to the daemon as `feedback`:
 * how much of a draft survives is how Panza learns whether its drafts help. Sending is a
 * click on Gmail's Send button or Ctrl/Cmd+Enter in the window; both are caught on the
 * way down (capture), so the body is read before Gmail closes the window.
 */
import { elementText } from '../common/text.js';
import { closest, first, matches } from './dom.js';

/**
 * The body's text as the user wrote it: without the quote and the signature.
 * @param {Element} body
 */
export function sentText(body) {
  return elementText(body, (el) => matches(el, 'keepBelow') || matches(el, 'quoted'));
}

/**
 * Call `onSend` with the body's text each time the user sends this compose window.
 * @param {Element} root the compose window
 * @param {(text: string) => void} onSend
 */
export function watchSend(root, onSend) {
  const sent = () => {
    const body = first(root, 'body'); // read now: Gmail may have rendered the editor anew
    if (body) onSend(sentText(body));
  };
  root.addEventListener(
    'click',
    (event) => {
      const target = /** @type {Node|null} */ (event.target);
      const el = target?.nodeType === 1 ? /** @type {Element} */ (target) : (target?.parentElement ?? null);
      if (el && closest(el, 'sendButton')) sent();
    },
    true,
  );
  root.addEventListener(
    'keydown',
    (event) => {
      const key = /** @type {KeyboardEvent} */ (event);
      if (key.key === 'Enter' && (key.ctrlKey || key.metaKey) && !key.isComposing) sent();
    },
    true,
  );
}

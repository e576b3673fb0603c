// @ts-check
/**
 * Where the draft goes in a Thunderbird compose body: at the top, above the quote
 * (`.moz-cite-prefix` + `blockquote type=cite`) and the signature (`.moz-signature`),
 * which stay as they are. Pure: body in, body out (HTML through a DOMParser).
 *
 * While streaming, the HTML draft lives in `<div class="panza-draft">` so that each
 * update replaces the previous text; the final update removes that wrapper.
 */

export const BOX_CLASS = 'panza-draft';
const SEPARATOR = '\n\n';

/**
 * @param {string} current the body now (the user may have typed since the start)
 * @param {string} original the body when the draft started
 * @param {string} text the draft so far
 * @param {{final?: boolean, Parser?: typeof DOMParser}} [options]
 * @returns {string}
 */
export function htmlWithDraft(current, original, text, options = {}) {
  const Parser = options.Parser ?? globalThis.DOMParser;
  let doc = new Parser().parseFromString(current, 'text/html');
  let box = doc.querySelector(`div.${BOX_CLASS}`);
  if (!box) {
    // First update, or the editor dropped our wrapper: start again from the original.
    doc = new Parser().parseFromString(original, 'text/html');
    box = addBox(doc);
  }
  fill(box, text);
  if (options.final) box.replaceWith(...Array.from(box.childNodes));
  return serialize(doc);
}

/**
 * @param {Document} doc
 * @returns {Element}
 */
function addBox(doc) {
  const body = doc.body;
  const box = doc.createElement('div');
  box.className = BOX_CLASS;
  const next = firstContent(body);
  body.insertBefore(box, body.firstChild);
  if (next && !isBlank(box.nextSibling)) body.insertBefore(doc.createElement('br'), box.nextSibling);
  return box;
}

/**
 * Lines as text nodes separated by <br>: the model's words are never parsed as HTML.
 * @param {Element} box
 * @param {string} text
 */
function fill(box, text) {
  const doc = /** @type {Document} */ (box.ownerDocument);
  box.replaceChildren();
  text.split(/\r\n?|\n/).forEach((line, i) => {
    if (i > 0) box.appendChild(doc.createElement('br'));
    if (line) box.appendChild(doc.createTextNode(line));
  });
  // A trailing <br> makes the last line a line of its own before what follows.
  box.appendChild(doc.createElement('br'));
}

/**
 * The first child that is not blank (text, quote, signature...), or null.
 * @param {Element} body
 */
function firstContent(body) {
  for (const child of Array.from(body.childNodes)) if (!isBlank(child)) return child;
  return null;
}

/**
 * Whitespace, a <br>, or an empty paragraph/div (`<p><br></p>`).
 * @param {Node|null} node
 * @returns {boolean}
 */
function isBlank(node) {
  if (!node) return false;
  if (node.nodeType === 3) return !(node.nodeValue ?? '').trim();
  if (node.nodeType !== 1) return true;
  const el = /** @type {Element} */ (node);
  if (el.tagName === 'BR') return true;
  if (el.tagName !== 'P' && el.tagName !== 'DIV') return false;
  if (el.className) return false; // cite prefix, signature, ...
  return Array.from(el.childNodes).every((c) => isBlank(c) && (c.nodeType !== 1 || /** @type {Element} */ (c).tagName === 'BR'));
}

/** @param {Document} doc */
function serialize(doc) {
  const doctype = doc.doctype ? `<!DOCTYPE ${doc.doctype.name}>\n` : '';
  return doctype + doc.documentElement.outerHTML;
}

/**
 * The plain-text equivalent: the draft, a blank line, then the body as it was.
 * @param {string} current the body now
 * @param {string} original the body when the draft started
 * @param {string} previous the draft text written last time ('' the first time)
 * @param {string} text the draft so far
 * @param {{final?: boolean}} [options]
 * @returns {string}
 */
export function plainWithDraft(current, original, previous, text, options = {}) {
  const rest = original.replace(/^(?:[ \t]*\n)+/, '');
  const mine = previous ? previous + SEPARATOR : '';
  const tail = previous && current.startsWith(mine) ? current.slice(mine.length) : rest;
  const gap = tail ? SEPARATOR : options.final ? '\n' : '';
  return text + gap + tail;
}

// @ts-check
/**
 * Text out of HTML without rendering it: block elements and <br> become line breaks,
 * quoted history and hidden parts can be skipped. Works on any DOM (browser, jsdom).
 */

const BLOCK = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'DD', 'DIV', 'DL', 'DT', 'FIGURE', 'FOOTER',
  'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'MAIN', 'NAV', 'OL', 'P',
  'PRE', 'SECTION', 'TABLE', 'TR', 'UL',
]);
const SKIP = new Set(['SCRIPT', 'STYLE', 'HEAD', 'TITLE', 'TEMPLATE', 'NOSCRIPT']);

/**
 * @param {Node} root
 * @param {(el: Element) => boolean} [skip] leave out this element and everything in it
 * @returns {string}
 */
export function elementText(root, skip = () => false) {
  /** @type {string[]} */
  const out = [];
  /** @param {Node} node */
  const walk = (node) => {
    if (node.nodeType === 3) {
      out.push((node.nodeValue ?? '').replace(/[ \t\r\n\f]+/g, ' '));
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) return;
    const el = /** @type {Element} */ (node);
    if (node.nodeType === 1 && (SKIP.has(el.tagName) || skip(el))) return;
    if (el.tagName === 'BR') {
      out.push('\n');
      return;
    }
    const block = node.nodeType === 1 && BLOCK.has(el.tagName);
    if (block) out.push('\n');
    for (const child of Array.from(node.childNodes)) walk(child);
    if (block) out.push('\n');
  };
  walk(root);
  return tidy(out.join(''));
}

/**
 * Trim each line, at most one blank line in a row, none at the ends.
 * @param {string} text
 */
export function tidy(text) {
  return text
    .split('\n')
    .map((line) => line.replace(/\u00a0/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * @param {string} html
 * @param {typeof DOMParser} [Parser]
 */
export function htmlToText(html, Parser = globalThis.DOMParser) {
  const doc = new Parser().parseFromString(html, 'text/html');
  return elementText(doc.body ?? doc);
}

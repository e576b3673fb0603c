// @ts-check
/**
 * Finding Gmail's parts with the selector lists, each miss reported once.
 */
import { SELECTORS } from './selectors.js';

/** @type {Set<string>} */
const missed = new Set();

/**
 * Report a selector list that found nothing where something was expected (once per name).
 * @param {string} name
 */
export function miss(name) {
  if (missed.has(name)) return;
  missed.add(name);
  console.debug(`Panza: no Gmail element for "${name}" (selectors: ${SELECTORS[/** @type {import('./selectors.js').SelectorName} */ (name)]?.join(' | ')})`);
}

/**
 * The first element matching the list, best selector first.
 * @param {ParentNode} root
 * @param {import('./selectors.js').SelectorName} name
 * @returns {Element|null}
 */
export function first(root, name) {
  for (const selector of SELECTORS[name]) {
    const found = root.querySelector(selector);
    if (found) return found;
  }
  return null;
}

/**
 * Every element matching the first selector of the list that matches anything.
 * @param {ParentNode} root
 * @param {import('./selectors.js').SelectorName} name
 * @returns {Element[]}
 */
export function all(root, name) {
  for (const selector of SELECTORS[name]) {
    const found = root.querySelectorAll(selector);
    if (found.length) return Array.from(found);
  }
  return [];
}

/**
 * Does `el` match any selector of the list?
 * @param {Element} el
 * @param {import('./selectors.js').SelectorName} name
 */
export function matches(el, name) {
  return SELECTORS[name].some((selector) => el.matches(selector));
}

/**
 * @param {Element} el
 * @param {import('./selectors.js').SelectorName} name
 * @returns {Element|null}
 */
export function closest(el, name) {
  for (const selector of SELECTORS[name]) {
    const found = el.closest(selector);
    if (found) return found;
  }
  return null;
}

/**
 * Every compose window on the page, each with its body editor. A root is the nearest
 * known compose container; failing that, the nearest ancestor holding a subject field.
 * @param {ParentNode} doc
 * @returns {{root: Element, body: HTMLElement}[]}
 */
export function composeWindows(doc) {
  /** @type {{root: Element, body: HTMLElement}[]} */
  const found = [];
  for (const body of all(doc, 'body')) {
    let root = closest(body, 'composeRoot');
    if (!root) {
      let el = body.parentElement;
      while (el && !first(el, 'subject')) el = el.parentElement;
      root = el;
    }
    if (root && !found.some((w) => w.root === root)) found.push({ root, body: /** @type {HTMLElement} */ (body) });
  }
  return found;
}

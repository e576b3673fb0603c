/** jsdom helpers for the unit tests: a window, and the page fixtures loaded into it. */
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

/**
 * A jsdom window holding `html` (no scripts run), with its DOM classes on globalThis
 * for modules that use them bare (DOMParser, Node, ...).
 * @param {string} [html]
 * @param {string} [url]
 */
export function domWith(html = '<!doctype html><body></body>', url = 'https://mail.google.com/mail/u/0/') {
  const dom = new JSDOM(html, { url, pretendToBeVisual: true });
  const g = /** @type {any} */ (globalThis);
  for (const name of ['DOMParser', 'Node', 'Range', 'InputEvent', 'Event', 'MutationObserver']) {
    g[name] = dom.window[name];
  }
  return dom;
}

/**
 * A fixture file's text.
 * @param {string} name path under test/fixtures/
 */
export function fixture(name) {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** @param {string} name */
export function fixtureJson(name) {
  return JSON.parse(fixture(name));
}

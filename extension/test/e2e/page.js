/**
 * The Gmail stand-in from the test's side: open it, find a compose window's parts,
 * and read the timestamps the page records (click, first text in the body, status).
 */
import { GMAIL } from './browser.js';

/**
 * Runs in the page's own world before its scripts: records when the Panza button is
 * clicked, when text first appears in a compose body after that, and each status line.
 */
function recordTimes() {
  const seen = { click: /** @type {number|null} */ (null), firstText: /** @type {number|null} */ (null), status: /** @type {[number, string][]} */ ([]) };
  /** @type {any} */ (window).__panzaTimes = seen;
  document.addEventListener('click', (event) => {
    const el = /** @type {Element} */ (event.target);
    if (el.closest?.('[data-panza="draft"]')) {
      seen.click = performance.now();
      seen.firstText = null;
    }
  }, true);
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      const el = r.target.nodeType === 1 ? /** @type {Element} */ (r.target) : r.target.parentElement;
      if (el?.closest('[data-panza="status"]')) {
        seen.status.push([now, el.closest('[data-panza="status"]')?.textContent ?? '']);
      } else if (seen.click !== null && seen.firstText === null && el?.closest('[g_editable="true"]')) {
        const added = r.type === 'characterData' || Array.from(r.addedNodes).some((n) => (n.textContent ?? '').trim());
        if (added) seen.firstText = now;
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

/** @param {import('playwright-core').BrowserContext} context */
export async function prepare(context) {
  await context.addInitScript(recordTimes);
}

/**
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} [url]
 */
export async function openGmail(context, url = GMAIL) {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('[data-panza="draft"]').first().waitFor({ timeout: 15_000 });
  return page;
}

/**
 * The parts of one compose window.
 * @param {import('playwright-core').Page} page
 * @param {string} root a selector for the window (e.g. '#inline-reply')
 */
export function compose(page, root) {
  const win = page.locator(root);
  return {
    button: win.locator('[data-panza="draft"]'),
    input: win.locator('[data-panza="instruction"]'),
    status: win.locator('[data-panza="status"]'),
    body: win.locator('[g_editable="true"]'),
    /** The body's text above the quoted reply / signature (what Panza wrote). */
    draftText: () => win.locator('[g_editable="true"]').evaluate((body) => {
      const lines = [];
      for (const child of Array.from(body.childNodes)) {
        const el = /** @type {Element} */ (child);
        if (el.nodeType === 1 && el.matches('.gmail_quote, .gmail_signature_prefix, .gmail_signature')) break;
        // Gmail keeps one <div> per line; an empty line is <div><br></div>.
        lines.push(child.nodeType === 1 && el.tagName === 'BR' ? '' : child.textContent ?? '');
      }
      return lines.join('\n').replace(/\n+$/, '');
    }),
  };
}

/** @param {import('playwright-core').Page} page */
export function times(page) {
  return page.evaluate(() => /** @type {any} */ (window).__panzaTimes);
}

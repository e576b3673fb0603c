// @ts-check
/**
 * The WebExtension namespace: `messenger` in Thunderbird, `browser` in Firefox,
 * `chrome` in Chromium browsers. Every call site goes through here so that tests
 * can install a fake on `globalThis` before importing a module. Typed as Chrome's: the
 * part used here (runtime) is the same in all three.
 * @returns {typeof chrome}
 */
export function extApi() {
  const g = /** @type {any} */ (globalThis);
  return g.messenger ?? g.browser ?? g.chrome;
}

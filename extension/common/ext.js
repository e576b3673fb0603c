// @ts-check
/**
 * @typedef {object} ExtApi what the shared code uses of the WebExtension namespace
 * @property {object} runtime
 * @property {(name: string) => import('./client.js').Port} runtime.connectNative
 * @property {{message?: string}|undefined} [runtime.lastError]
 * @property {string} runtime.id
 * @property {(message: unknown) => Promise<any>} runtime.sendMessage
 */

/**
 * The WebExtension namespace: `messenger` in Thunderbird, `browser` in Firefox,
 * `chrome` in Chromium browsers. Every call site goes through here so that tests
 * can install a fake on `globalThis` before importing a module.
 * @returns {ExtApi}
 */
export function extApi() {
  const g = /** @type {any} */ (globalThis);
  return g.messenger ?? g.browser ?? g.chrome;
}

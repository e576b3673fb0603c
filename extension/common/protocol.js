// @ts-check
/**
 * The daemon protocol as the native host relays it (DESIGN.md "The daemon protocol").
 * Pure: builds requests, tells replies from events, and joins `fragment` events
 * (a message too big for one native-messaging frame) back into the original.
 */

export const HOST_NAME = 'org.panza.host';
export const VERSION = 1;

/** @typedef {'bad_request'|'too_large'|'not_ready'|'busy'|'cancelled'|'unavailable'|'internal'} ErrorCode */
/** @typedef {{code: string, message: string}} ErrorBody */
/** @typedef {{id: string|null, ok: true, result: any} | {id: string|null, ok: false, error: ErrorBody}} Reply */
/** @typedef {{id: string, event: string, [key: string]: any}} Event */

/**
 * @param {string} id
 * @param {string} method
 * @param {object} [params]
 */
export function request(id, method, params = {}) {
  return { v: VERSION, id, method, params };
}

/**
 * Whether the daemon whose `ping` answered `pong` offers `method` (its `methods` list).
 * A daemon that does not list its methods is taken to offer them all: a call it cannot
 * serve then fails with the daemon's own message.
 * @param {unknown} pong a `ping` result
 * @param {string} method
 */
export function offers(pong, method) {
  const methods = /** @type {{methods?: unknown}|null} */ (pong)?.methods;
  return !Array.isArray(methods) || methods.includes(method);
}

/**
 * What one message from the host is.
 * @param {any} message
 * @returns {'reply'|'fragment'|'event'|'junk'}
 */
export function kind(message) {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return 'junk';
  if (typeof message.ok === 'boolean') return 'reply';
  if (message.event === 'fragment') return 'fragment';
  if (typeof message.event === 'string') return 'event';
  return 'junk';
}

/** Joins each id's `fragment` events until the `final` one; then yields the original message. */
export class Fragments {
  constructor() {
    /** @type {Map<string|null, string[]>} */
    this.parts = new Map();
  }

  /**
   * @param {{id: string|null, final?: boolean, data?: string}} fragment
   * @returns {any} the original message once complete, else undefined
   */
  push(fragment) {
    const key = fragment.id ?? null;
    const parts = this.parts.get(key) ?? [];
    parts.push(typeof fragment.data === 'string' ? fragment.data : '');
    if (!fragment.final) {
      this.parts.set(key, parts);
      return undefined;
    }
    this.parts.delete(key);
    return JSON.parse(parts.join(''));
  }

  /** @param {string} id */
  drop(id) {
    this.parts.delete(id);
  }
}

/**
 * Request ids unique for this extension instance: a random prefix and a counter.
 * @param {string} [prefix]
 * @returns {() => string}
 */
export function idMaker(prefix = Math.random().toString(36).slice(2, 8)) {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

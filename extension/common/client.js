// @ts-check
/**
 * The daemon protocol client over a native-messaging port (`connectNative("org.panza.host")`).
 *
 * One port carries every request; replies and events are matched by request id.
 * The port is opened on the first request, closed after a quiet spell (so a Chrome
 * service worker may sleep), and opened again by the next request after the host
 * went away: every request still waiting when the port drops fails with an
 * `unavailable` error that says what to do.
 */
import { extApi } from './ext.js';
import { Fragments, HOST_NAME, idMaker, kind, request } from './protocol.js';
import { disconnectMessage } from './messages.js';

/** An error reply from the daemon or the host, or a dropped connection. */
export class PanzaError extends Error {
  /**
   * @param {string} code a protocol error code
   * @param {string} message what the daemon (or this client) said
   */
  constructor(code, message) {
    super(message);
    this.name = 'PanzaError';
    this.code = code;
  }
}

/**
 * @typedef {object} Port  the part of runtime.Port this client uses
 * @property {(message: any) => void} postMessage
 * @property {() => void} disconnect
 * @property {{addListener: (fn: (message: any) => void) => void}} onMessage
 * @property {{addListener: (fn: (port: any) => void) => void}} onDisconnect
 */

/**
 * @typedef {object} ClientOptions
 * @property {() => Port} [connect] opens the native port (tests pass a fake)
 * @property {() => (string|undefined)} [lastError] runtime.lastError's message, if any
 * @property {() => string} [newId] request ids
 * @property {number} [idleMs] close the port after this long without a request in flight
 * @property {string} [extensionId] named in "not allowed" messages
 */

/**
 * @typedef {object} Pending
 * @property {(result: any) => void} resolve
 * @property {(error: PanzaError) => void} reject
 * @property {(event: any) => void} onEvent
 */

export class PanzaClient {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    const api = () => extApi();
    /** @type {() => Port} */
    this.connect = options.connect ?? (() => api().runtime.connectNative(HOST_NAME));
    this.lastError = options.lastError ?? (() => api()?.runtime?.lastError?.message);
    this.newId = options.newId ?? idMaker();
    this.idleMs = options.idleMs ?? 120_000;
    this.extensionId = options.extensionId ?? api()?.runtime?.id ?? '';
    /** @type {Port|null} */
    this.port = null;
    /** @type {Map<string, Pending>} */
    this.pending = new Map();
    /** @type {Set<string>} ids of our own `cancel` requests */
    this.cancels = new Set();
    this.fragments = new Fragments();
    /** @type {import('./protocol.js').ErrorBody|null} an error the host sent for no request of ours */
    this.hostError = null;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.idleTimer = null;
  }

  /**
   * Send a request; events for it go to `onEvent`, the reply settles `result`.
   * @param {string} method
   * @param {object} [params]
   * @param {(event: any) => void} [onEvent]
   * @returns {{id: string, result: Promise<any>, cancel: () => boolean}}
   */
  start(method, params = {}, onEvent = () => {}) {
    const id = this.newId();
    /** @type {Pending|undefined} */
    let waiter;
    /** @type {Promise<any>} */
    const result = new Promise((resolve, reject) => {
      waiter = { resolve, reject, onEvent };
    });
    const failed = this.send(request(id, method, params));
    // Registered once posted: a port that fails the post fails what was already in flight.
    if (failed === null) this.pending.set(id, /** @type {Pending} */ (waiter));
    else waiter?.reject(new PanzaError('unavailable', failed));
    return { id, result, cancel: () => this.cancel(id) };
  }

  /**
   * A request whose events do not matter: the result, or a PanzaError.
   * @param {string} method
   * @param {object} [params]
   */
  call(method, params = {}) {
    return this.start(method, params).result;
  }

  /**
   * Ask the daemon to stop request `id`; it then replies `cancelled` to that request.
   * @param {string} id
   * @returns {boolean} whether the request was still running here
   */
  cancel(id) {
    if (!this.pending.has(id)) return false;
    const cancelId = this.newId();
    if (this.send(request(cancelId, 'cancel', { target: id })) === null) {
      this.cancels.add(cancelId);
      this.pending.set(cancelId, { resolve: () => {}, reject: () => {}, onEvent: () => {} });
    }
    return true;
  }

  /** Close the port now (requests in flight fail as if the host went away). */
  close() {
    const port = this.port;
    if (port) {
      this.dropped(port, 'closed by the extension');
      try {
        port.disconnect();
      } catch {
        // already gone
      }
    }
  }

  /**
   * Post `message` on the port, opening one if needed; once more on a fresh port if the
   * current one turns out to be dead.
   * @param {object} message
   * @returns {string|null} why it could not be sent, or null when it was
   */
  send(message) {
    this.stopIdle();
    let why;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      let port;
      try {
        port = this.open();
        port.postMessage(message);
        return null;
      } catch (error) {
        why = String(/** @type {any} */ (error)?.message ?? error);
        if (port) this.dropped(port, why);
      }
    }
    return disconnectMessage(why, this.extensionId);
  }

  /** @returns {Port} */
  open() {
    if (this.port) return this.port;
    const port = this.connect();
    this.port = port;
    this.hostError = null;
    port.onMessage.addListener((message) => this.receive(message));
    port.onDisconnect.addListener((p) => {
      // Firefox/Thunderbird put the reason on the port, Chrome in runtime.lastError.
      const reason = p?.error?.message ?? this.lastError();
      this.dropped(port, reason);
    });
    return port;
  }

  /** @param {any} message */
  receive(message) {
    switch (kind(message)) {
      case 'reply':
        this.settle(message);
        break;
      case 'fragment': {
        let whole;
        try {
          whole = this.fragments.push(message);
        } catch {
          this.settle({ id: message.id, ok: false, error: { code: 'internal', message: 'a reply from Panza arrived damaged; try again' } });
          break;
        }
        if (whole !== undefined) this.receive(whole);
        break;
      }
      case 'event':
        this.pending.get(message.id)?.onEvent(message);
        break;
      default:
        break; // not ours to understand; the protocol says to ignore it
    }
  }

  /** @param {import('./protocol.js').Reply} reply */
  settle(reply) {
    let id = reply.id;
    if (id === null || !this.pending.has(id)) {
      // The host answers a frame it could not read with id null; with one request in
      // flight it can only be that one. Otherwise remember it for the disconnect.
      const open = [...this.pending.keys()].filter((k) => !this.cancels.has(k));
      if (id === null && !reply.ok && open.length === 1) {
        id = open[0];
      } else {
        if (id === null && !reply.ok) this.hostError = reply.error;
        return;
      }
    }
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    this.cancels.delete(id);
    this.fragments.drop(id);
    if (reply.ok) {
      waiter?.resolve(reply.result);
    } else {
      waiter?.reject(new PanzaError(reply.error?.code ?? 'internal', reply.error?.message ?? 'unknown error'));
    }
    if (this.pending.size === 0) this.startIdle();
  }

  /**
   * The port is gone: everything still waiting fails; the next request reconnects.
   * @param {Port} port
   * @param {string|undefined} reason
   */
  dropped(port, reason) {
    if (port !== this.port) return;
    this.port = null;
    this.stopIdle();
    this.fragments = new Fragments();
    const code = this.hostError?.code ?? 'unavailable';
    const message = this.hostError?.message ?? disconnectMessage(reason, this.extensionId);
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.cancels.clear();
    for (const waiter of waiting) waiter.reject(new PanzaError(code, message));
  }

  startIdle() {
    this.stopIdle();
    if (!this.port || this.idleMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size === 0) this.close();
    }, this.idleMs);
  }

  stopIdle() {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

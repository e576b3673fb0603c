/**
 * Fakes for the unit tests: a native-messaging port that records what the extension
 * posts and lets the test play the host's side, and runtime ports for content/popup.
 */

/** A runtime.Port-shaped event: addListener + emit. */
export class FakeEvent {
  constructor() {
    /** @type {Function[]} */
    this.listeners = [];
  }

  /** @param {Function} fn */
  addListener(fn) {
    this.listeners.push(fn);
  }

  /** @param {...any} args */
  emit(...args) {
    for (const fn of [...this.listeners]) fn(...args);
  }
}

export class FakePort {
  /** @param {string} [name] */
  constructor(name = '') {
    this.name = name;
    /** @type {any[]} */
    this.posted = [];
    this.onMessage = new FakeEvent();
    this.onDisconnect = new FakeEvent();
    this.disconnected = false;
    /** @type {Error|null} make postMessage throw (a port that died under us) */
    this.throwOnPost = null;
  }

  /** @param {any} message */
  postMessage(message) {
    if (this.throwOnPost) throw this.throwOnPost;
    this.posted.push(structuredClone(message));
  }

  disconnect() {
    this.disconnected = true;
  }

  /** The host (or worker) says something. @param {any} message */
  say(message) {
    this.onMessage.emit(structuredClone(message), this);
  }

  /** The other side went away. @param {string} [reason] */
  drop(reason) {
    this.onDisconnect.emit(reason ? { error: { message: reason } } : this);
  }

  /** The last request posted with `method`. @param {string} method */
  last(method) {
    return [...this.posted].reverse().find((m) => m.method === method);
  }
}

/** connect() for PanzaClient that hands out FakePorts and remembers them. */
export function portFactory() {
  /** @type {FakePort[]} */
  const ports = [];
  const connect = () => {
    const port = new FakePort('native');
    ports.push(port);
    return port;
  };
  return { ports, connect };
}

/** Resolve after pending promise callbacks and timers of 0 ms. */
export function tick(ms = 0) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

/**
 * A stand-in daemon on the real socket path, speaking the daemon protocol
 * (newline-delimited JSON): `draft` streams scripted tokens at a set pace and honours
 * `cancel`, so the browser tests can stop a draft mid-stream and time the pipeline
 * with a model that costs nothing. The real daemon is used wherever it can answer.
 */
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import readline from 'node:readline';
import { tick } from '../fakes.js';

/** What this stand-in answers (its `ping` says so, as the daemon's does). */
const METHODS = ['cancel', 'draft', 'feedback', 'ping', 'status'];

/**
 * @typedef {object} Script
 * @property {string[]} tokens
 * @property {number} [delayMs] between tokens
 * @property {number} [firstDelayMs] before the first token (the "model's" first-token time)
 */

export class StubDaemon {
  /**
   * @param {string} socketPath
   * @param {Script | ((params: any) => Script)} script the same for every draft, or by its params
   */
  constructor(socketPath, script) {
    this.socketPath = socketPath;
    this.script = script;
    /** @type {any[]} every request received, in order */
    this.requests = [];
    /** @type {Map<string, ReturnType<typeof setTimeout>>} */
    this.timers = new Map();
    /** @type {Set<net.Socket>} */
    this.sockets = new Set();
    this.server = net.createServer((socket) => this.serve(socket));
  }

  /** @returns {Promise<this>} */
  start() {
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o700 });
    rmSync(this.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => resolve(this));
    });
  }

  /** @param {net.Socket} socket */
  serve(socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    /** @param {any} message */
    const send = (message) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    readline.createInterface({ input: socket }).on('line', (line) => {
      const req = JSON.parse(line);
      this.requests.push(req);
      switch (req.method) {
        case 'ping':
          send({ id: req.id, ok: true, result: { pong: true, version: 'stub', protocol: 1, methods: METHODS, pid: process.pid } });
          break;
        case 'status':
          send({ id: req.id, ok: true, result: { paused: false, emails: { kept: 0 }, adapter: null, jobs: {} } });
          break;
        case 'cancel':
          this.cancel(req, send);
          break;
        case 'draft':
          this.draft(req, send);
          break;
        case 'feedback':
          send({ id: req.id, ok: true, result: { recorded: true } });
          break;
        default:
          send({ id: req.id, ok: false, error: { code: 'unavailable', message: `${req.method} is not available in this daemon` } });
      }
    });
  }

  /**
   * @param {any} req
   * @param {(m: any) => void} send
   */
  draft(req, send) {
    const script = typeof this.script === 'function' ? this.script(req.params ?? {}) : this.script;
    const { tokens, delayMs = 20, firstDelayMs = 0 } = script;
    const started = Date.now();
    let i = 0;
    const step = () => {
      if (i < tokens.length) {
        send({ id: req.id, event: 'token', text: tokens[i] });
        i += 1;
        this.timers.set(req.id, setTimeout(step, delayMs));
        return;
      }
      this.timers.delete(req.id);
      send({
        id: req.id,
        ok: true,
        result: {
          draft_id: `stub-${req.id}`,
          text: tokens.join(''),
          adapter_version: 1,
          retrieved: [],
          timings: { first_token_s: firstDelayMs / 1000, total_s: (Date.now() - started) / 1000 },
        },
      });
    };
    this.timers.set(req.id, setTimeout(step, firstDelayMs));
  }

  /**
   * @param {any} req
   * @param {(m: any) => void} send
   */
  cancel(req, send) {
    const target = req.params?.target;
    const timer = this.timers.get(target);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(target);
      send({ id: target, ok: false, error: { code: 'cancelled', message: 'cancelled' } });
    }
    send({ id: req.id, ok: true, result: { cancelled: timer !== undefined } });
  }

  /** Requests received for `method`. @param {string} method */
  received(method) {
    return this.requests.filter((r) => r.method === method);
  }

  /**
   * The first `method` request received, waiting up to `timeoutMs` for it.
   * @param {string} method
   * @param {number} [timeoutMs]
   */
  async receive(method, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.received(method).length && Date.now() < deadline) await tick(20);
    const [first] = this.received(method);
    if (!first) throw new Error(`no ${method} request within ${timeoutMs} ms`);
    return first;
  }

  async stop() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => {
      this.server.close(() => resolve(undefined));
    });
    rmSync(this.socketPath, { force: true });
  }
}

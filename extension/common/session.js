// @ts-check
/**
 * One "Draft with Panza" run, shared by Thunderbird's background and Chrome's worker:
 * send `draft`, pass tokens on as they come, describe progress, and turn the reply
 * into an outcome the UI can show (for not_ready, with the training's progress).
 */
import { checkDraft, describeError, describeProgress, describeQueued } from './messages.js';
import { offers } from './protocol.js';

/**
 * @typedef {{ok: true, result: any} | {ok: false, code: string, title: string, detail: string}} Outcome
 */

/**
 * @param {import('./client.js').PanzaClient} client
 * @param {import('./params.js').DraftParams} params
 * @param {{onToken: (text: string) => void, onStatus?: (text: string) => void}} handlers
 * @returns {{id: string|null, done: Promise<Outcome>, stop: () => void}}
 */
export function runDraft(client, params, { onToken, onStatus = () => {} }) {
  const refused = checkDraft(params);
  if (refused) return { id: null, done: Promise.resolve({ ok: false, code: 'bad_request', ...refused }), stop() {} };
  const run = client.start('draft', params, (event) => {
    if (event.event === 'token' && typeof event.text === 'string') onToken(event.text);
    else if (event.event === 'progress') onStatus(describeProgress(event));
    else if (event.event === 'queued') onStatus(describeQueued(event.position));
  });
  /** @type {Promise<Outcome>} */
  const done = run.result.then(
    (result) => ({ ok: true, result }),
    async (error) => {
      const code = typeof error?.code === 'string' ? error.code : 'internal';
      const message = String(error?.message ?? error);
      const status = code === 'not_ready' ? await client.call('status').catch(() => null) : null;
      // `unavailable` is a daemon that is down, or one without `draft`: its ping tells which.
      const pong = code === 'unavailable' ? await client.call('ping').catch(() => null) : null;
      const absent = pong !== null && !offers(pong, 'draft');
      return { ok: false, code, ...describeError(code, message, { status, absent }) };
    },
  );
  return { id: run.id, done, stop: () => void run.cancel() };
}

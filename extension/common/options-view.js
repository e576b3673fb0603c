// @ts-check
/**
 * What the options page shows, from one `ping` + `status` answer (or the error).
 * Pure: the page renders these strings with textContent.
 */
import { describeError, describeProgress, oneLine } from './messages.js';
import { offers } from './protocol.js';

export const RETRAIN_ABSENT = 'Retrain is not available in this version of Panza';

/**
 * `retrain` is whether "Retrain now" is offered: false when the daemon's ping lists its
 * methods without `retrain` (while it is down the button stays, to say so when clicked).
 * @param {{ok: boolean, result?: any, code?: string, message?: string}} ping
 * @param {{ok: boolean, result?: any, code?: string, message?: string}|null} status
 */
export function optionsView(ping, status) {
  if (!ping.ok) {
    const said = describeError(ping.code ?? 'internal', ping.message ?? '');
    return { state: 'down', connection: oneLine(said), adapter: '–', training: '–', emails: '–', retrain: true };
  }
  const version = ping.result?.version ? ` (version ${ping.result.version})` : '';
  const s = status?.ok ? status.result : null;
  return {
    state: 'up',
    connection: `Connected to the Panza daemon${version}${s?.paused ? '; paused' : ''}`,
    adapter: s ? adapterLine(s.adapter) : '–',
    training: s ? trainingLine(s.jobs?.train) : '–',
    emails: s ? String(s.emails?.kept ?? 0) : '–',
    retrain: offers(ping.result, 'retrain'),
  };
}

/** @param {any} adapter */
export function adapterLine(adapter) {
  if (!adapter) return 'None yet: Panza drafts once its first training has finished';
  const v = typeof adapter.version === 'number' ? `v${String(adapter.version).padStart(4, '0')}` : `v${adapter.version}`;
  const parts = [v];
  if (adapter.method) parts.push(String(adapter.method));
  if (typeof adapter.email_count === 'number') parts.push(`${adapter.email_count} emails`);
  if (adapter.created_at) parts.push(`made ${String(adapter.created_at).slice(0, 16).replace('T', ' ')}`);
  return parts.join(', ');
}

/** @param {any} job */
export function trainingLine(job) {
  if (!job) return 'Not run yet';
  if (job.running) return `Running: ${describeProgress(job)}`;
  if (job.last_error) return `Last run failed: ${job.last_error}`;
  return 'Idle';
}

/**
 * @param {{ok: boolean, result?: any, code?: string, message?: string}} reply
 */
export function retrainLine(reply) {
  if (reply.ok) {
    const r = reply.result ?? {};
    if ((r.status === 'accepted' || r.status === 'rejected') && r.version != null) {
      return `Retrain finished: v${String(r.version).padStart(4, '0')} ${r.status}`;
    }
    return 'Retrain started';
  }
  if (reply.code === 'busy') return 'Retrain is already running';
  return oneLine(describeError(reply.code ?? 'internal', reply.message ?? ''));
}

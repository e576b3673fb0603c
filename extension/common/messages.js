// @ts-check
/**
 * What the user reads: errors, progress and queue position in plain words, each
 * error with what to do about it. Pure functions over protocol values.
 */

/** @typedef {{title: string, detail: string}} Said */

const HOST_MISSING = /host not found|no such native application|not find|manifest/i;
const FORBIDDEN = /forbidden|not allowed|access/i;

/**
 * Why the native port closed, as a sentence with the fix.
 * @param {string|undefined} reason the browser's own words (runtime.lastError / port.error)
 * @param {string} [extensionId]
 */
export function disconnectMessage(reason, extensionId = '') {
  const why = reason ? ` (the browser said: ${reason})` : '';
  if (reason && HOST_MISSING.test(reason)) {
    return (
      "Panza's connection to this browser is not installed. Run `panza install` once" +
      ` (it registers org.panza.host for your browsers), then try again${why}.`
    );
  }
  if (reason && FORBIDDEN.test(reason)) {
    const id = extensionId ? ` --allow-id ${extensionId}` : '';
    return (
      `This copy of the extension is not allowed to talk to Panza. Run \`panza install${id}\`` +
      ` to allow it, then try again${why}.`
    );
  }
  return (
    'The connection to Panza closed unexpectedly. Try again; if it keeps happening,' +
    ` run \`panza doctor\`${why}.`
  );
}

/**
 * @typedef {object} ErrorContext
 * @property {any} [status] a `status` result, for not_ready
 * @property {boolean} [absent] the daemon answered `ping` without the method asked for
 */

/**
 * @param {string} code a protocol error code
 * @param {string} message the daemon's (or host's) message
 * @param {ErrorContext} [context]
 * @returns {Said}
 */
export function describeError(code, message, context = {}) {
  switch (code) {
    case 'unavailable':
      if (context.absent) {
        return {
          title: 'This version of Panza cannot draft yet',
          detail: `Update Panza, then restart it with \`panza daemon\`. (${message})`,
        };
      }
      return { title: 'Panza is not running', detail: message };
    case 'not_ready':
      return { title: 'Panza is still learning your style', detail: notReadyDetail(message, context.status) };
    case 'busy':
      return { title: 'Panza is busy', detail: `${sentence(message)} Try again in a moment.` };
    case 'cancelled':
      return { title: 'Stopped', detail: 'The draft so far stays in the message.' };
    case 'too_large':
      return {
        title: 'This email is too long for Panza',
        detail: `${sentence(message)} Shorten the quoted thread or the instruction and try again.`,
      };
    case 'bad_request':
      return { title: 'Panza could not use this request', detail: message };
    default:
      return {
        title: 'Panza hit an error',
        detail: `${sentence(message)} If it keeps happening, run \`panza doctor\` and look at the daemon log.`,
      };
  }
}

/**
 * The daemon's not_ready message plus how far the first training has come.
 * @param {string} message
 * @param {any} status
 */
export function notReadyDetail(message, status) {
  const train = status?.jobs?.train;
  if (train?.running) {
    return `${sentence(message)} First training: ${describeProgress(train)}.`;
  }
  if (status && (status.emails?.kept ?? 0) === 0) {
    return `${sentence(message)} Panza has no sent mail yet: add an account (\`panza account add\`) or import an mbox (\`panza import\`).`;
  }
  return `${sentence(message)} Training starts on its schedule, or now with "Retrain now" in Panza's options.`;
}

/**
 * "training 3 of 9 (33%)", "loading the model", ...
 * @param {{stage?: string, done?: number, total?: number|null}} progress
 */
export function describeProgress(progress) {
  const stage = progress.stage || 'working';
  const { done, total } = progress;
  if (typeof total === 'number' && total > 0 && typeof done === 'number') {
    const pct = Math.max(0, Math.min(100, Math.floor((done * 100) / total)));
    return `${stage} ${done} of ${total} (${pct}%)`;
  }
  return stage;
}

/** @param {number} position how many requests are ahead */
export function describeQueued(position) {
  if (!(position > 0)) return 'Starting…';
  return `Waiting for Panza: ${position} ${position === 1 ? 'request' : 'requests'} ahead`;
}

/**
 * A Said for a draft that cannot be sent at all, or null when it is fine.
 * @param {{instruction: string, mode: string, thread: unknown[]}} params
 * @returns {Said|null}
 */
export function checkDraft(params) {
  if (params.instruction.trim() || (params.mode === 'reply' && params.thread.length > 0)) return null;
  if (params.mode === 'reply') {
    return {
      title: 'Nothing to reply to',
      detail: 'Panza could not read the message you are replying to. Type an instruction instead.',
    };
  }
  return {
    title: 'Tell Panza what to write',
    detail: 'Type a short instruction, e.g. "Accept the invitation and ask for the agenda".',
  };
}

/** @param {string} text */
function sentence(text) {
  const t = text.trim();
  return !t || /[.!?)]$/.test(t) ? t : `${t}.`;
}

/**
 * Title and detail as one line, without saying the same thing twice.
 * @param {Said} said
 */
export function oneLine(said) {
  if (!said.detail) return `${said.title}.`;
  return said.detail.startsWith(said.title) ? said.detail : `${said.title}. ${said.detail}`;
}

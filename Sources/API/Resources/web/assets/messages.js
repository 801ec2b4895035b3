// What each error code means to a person, and what they can do about it. Codes are
// the API's stable contract; the server's own message is shown where it says more.
import { plural } from './dom.js';

/** Returns { text, action?: { href, label } } for an ApiError. */
export function describeError(error) {
  const details = error.details || {};
  const server = details.message ? ` (${details.message})` : '';
  switch (error.code) {
    case 'insufficient_credits': {
      const required = Number(details.required ?? 0);
      const available = Number(details.available ?? 0);
      const missing = Math.max(0, required - available);
      return {
        text: `Not enough credits: this file needs ${plural(required, 'credit')} and you have ${available} available. You are ${plural(missing, 'credit')} short.`,
        action: { href: '#credits', label: 'Buy credits' },
      };
    }
    case 'account_in_debt':
      return {
        text: `A purchase of yours was refunded or disputed after its credits were spent: the account owes ${plural(Number(details.debt ?? 0), 'credit')}. Your next purchase settles it; until then no new dub can start.`,
        action: { href: '#credits', label: 'Buy credits' },
      };
    case 'too_much_text':
      return { text: `The subtitles have more text than this audio's length allows${server}. Split them or send longer audio.` };
    case 'invalid_subtitles':
      return { text: `The subtitles cannot be read${server}. Send SRT or WebVTT.` };
    case 'unauthorized':
      return { text: 'That API key was not accepted. Check that you pasted all of it.' };
    case 'payload_too_large':
      return { text: `The file is too large for this server${details.limit_bytes ? ` (limit ${Math.round(details.limit_bytes / 1048576)} MB)` : ''}. Try a shorter or compressed file.` };
    case 'unsupported_media':
      return { text: `This does not look like audio we can read. Try MP3, WAV, M4A, OGG or FLAC.${server}` };
    case 'invalid_audio':
      return { text: `The audio cannot be dubbed${server}.` };
    case 'engine_unsupported':
      return { text: `This server cannot dub that as asked${server}.` };
    case 'too_many_jobs':
      return { text: `You already have ${details.limit ?? 'too many'} jobs waiting. Wait for some to finish, then try again.`, action: { href: '#jobs', label: 'See your jobs' } };
    case 'idempotency_conflict':
      return { text: 'This request was already sent with different content. Reload the page and try again.' };
    case 'invalid_request':
      return { text: `Something in the form is not right${server}.` };
    case 'payments_disabled':
      return { text: 'Buying credits is not available on this server yet. Ask the operator for a grant.' };
    case 'already_finished':
      return { text: 'That job has already finished, so there is nothing to cancel.' };
    case 'result_not_ready':
      return { text: 'The result is not ready yet.' };
    case 'result_expired':
      return { text: 'This result was kept for its retention time and has been removed.' };
    case 'not_found':
      return { text: 'That job no longer exists.' };
    case 'upload_interrupted':
      return { text: 'The upload was cut off before the server answered. Check your connection; a very large file may be over the server’s limit.' };
    case 'upload_aborted':
      return { text: 'Upload canceled before the whole file was sent. Nothing was charged.' };
    case 'network_error':
      return { text: 'The server could not be reached. Check your connection and try again.' };
    case 'internal_error':
      return { text: 'Something went wrong on our side. Nothing was charged; please try again.' };
    default:
      return { text: error.message || 'Something went wrong.' };
  }
}

const STAGES = {
  prepare: 'Preparing audio',
  transcribe: 'Transcribing',
  translate: 'Translating',
  synthesize: 'Speaking',
  assemble: 'Mixing',
  done: 'Done',
};

export function stageLabel(stage) {
  return STAGES[stage] || stage || '';
}

const STATUSES = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
};

export function statusLabel(status) {
  return STATUSES[status] || status;
}

const REASONS = {
  signup: 'Welcome credits',
  admin_grant: 'Credits granted',
  purchase: 'Credits bought',
  job_hold: 'Reserved for a job',
  job_capture: 'Charged for a job',
  job_release: 'Returned from a job',
};

export function reasonLabel(reason) {
  return REASONS[reason] || reason;
}

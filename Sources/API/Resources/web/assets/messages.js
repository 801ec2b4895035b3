// What each error code means to a person, and what they can do about it, in the page's
// language. Codes are the API's stable contract; the server's own message (English) is
// added where it says more.
import { credits, formatNumber, t } from './i18n.js';

const ACTIONS = {
  insufficient_credits: { href: '#credits', label: 'action.buy' },
  account_in_debt: { href: '#credits', label: 'action.buy' },
  too_many_jobs: { href: '#jobs', label: 'action.jobs' },
};

/** Returns { text, action?: { href, label } } for an ApiError. */
export function describeError(error) {
  const details = error.details || {};
  const server = details.message ? ` (${details.message})` : '';
  const code = error.code;
  const values = { server, limit: details.limit ?? '' };
  switch (code) {
    case 'insufficient_credits': {
      const required = Number(details.required ?? 0);
      const available = Number(details.available ?? 0);
      Object.assign(values, { required: credits(required), available: formatNumber(available), missing: credits(Math.max(0, required - available)) });
      break;
    }
    case 'account_in_debt':
      values.debt = credits(Number(details.debt ?? 0));
      break;
    case 'payload_too_large':
      values.limit = details.limit_bytes ? t('error.payload_limit', { megabytes: Math.round(details.limit_bytes / 1048576) }) : '';
      break;
    default:
      break;
  }
  const key = `error.${code}`;
  const text = t(key, values);
  const action = ACTIONS[code];
  return {
    text: text === key ? (error.message || t('error.unknown')) : text,
    action: action && { href: action.href, label: t(action.label) },
  };
}

export function stageLabel(stage) {
  return stage ? t(`stage.${stage}`) : '';
}

export function statusLabel(status) {
  return t(`status.${status}`);
}

export function reasonLabel(reason) {
  return t(`reason.${reason}`);
}

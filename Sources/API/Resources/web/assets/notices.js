// Page-level notices (checkout returns, background failures) and inline messages. A
// notice stays until dismissed, so nobody has to read against a timer.
import { $, el } from './dom.js';
import { t } from './i18n.js';

/** kind: 'info' | 'success' | 'error'. A notice with the same id replaces the old one. */
export function notify(kind, text, { action, id } = {}) {
  const region = $('#notices');
  if (id) region.querySelector(`[data-notice-id="${id}"]`)?.remove();
  const notice = el('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-notice-id': id },
    el('p', {}, text, action ? ' ' : null, action ? el('a', { href: action.href }, action.label) : null),
    el('button', { type: 'button', class: 'dismiss', 'aria-label': t('notice.dismiss'), onclick: () => notice.remove() }, '×'));
  region.append(notice);
  return notice;
}

export function clearNotices() {
  $('#notices').replaceChildren();
}

/** Puts a described error ({ text, action }) into an inline error element. */
export function showMessage(target, message) {
  target.replaceChildren(message.text, message.action ? ' ' : '',
    message.action ? el('a', { href: message.action.href }, message.action.label) : '');
}

// API keys for programs: create one (shown once, with a copy button), list them by
// prefix and name with their last use, revoke one.
import { del, get, post } from './api.js';
import { $, el } from './dom.js';
import { formatDate, t } from './i18n.js';
import { describeError } from './messages.js';
import { notify, showMessage } from './notices.js';

export class KeysView {
  constructor() {
    this.error = $('#key-error');
    $('#key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
    $('#key-copy').addEventListener('click', () => this.copy());
  }

  async refresh() {
    try {
      const { keys } = await get('/api/keys');
      const rows = keys.map((key) => el('tr', { 'data-key-id': key.id },
        el('td', {}, key.name),
        el('td', {}, el('code', {}, `${key.prefix || 'ak_'}…`)),
        el('td', {}, el('time', { datetime: key.created_at }, formatDate(key.created_at))),
        el('td', {}, key.last_used_at ? el('time', { datetime: key.last_used_at }, formatDate(key.last_used_at)) : t('keys.never')),
        el('td', { class: 'num' }, el('button', {
          type: 'button', class: 'danger', 'data-action': 'revoke', 'aria-label': t('keys.revokeLabel', { name: key.name }),
          onclick: (event) => this.revoke(key, event.currentTarget),
        }, t('keys.revoke')))));
      if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '5', class: 'empty' }, t('keys.none'))));
      $('#keys tbody').replaceChildren(...rows);
    } catch (error) {
      notify('error', t('keys.loadFailed', { reason: describeError(error).text }), { id: 'keys' });
    }
  }

  reset() {
    $('#keys tbody').replaceChildren();
    $('#key-created').hidden = true;
    $('#key-value').textContent = '';
  }

  async create() {
    this.error.replaceChildren();
    const field = $('#key-name');
    const name = field.value.trim();
    if (!name) {
      showMessage(this.error, { text: t('keys.noName') });
      field.focus();
      return;
    }
    try {
      const created = await post('/api/keys', { name });
      field.value = '';
      $('#key-value').textContent = created.api_key;
      $('#key-copy').textContent = t('keys.copy');
      $('#key-created').hidden = false;
      $('#key-value').focus?.();
      await this.refresh();
    } catch (error) {
      showMessage(this.error, describeError(error));
    }
  }

  copy() {
    return copyShown($('#key-value'), $('#key-copy'));
  }

  async revoke(key, button) {
    button.disabled = true;
    try {
      await del(`/api/keys/${encodeURIComponent(key.id)}`);
      notify('info', t('keys.revoked', { name: key.name }), { id: `key-${key.id}` });
      await this.refresh();
    } catch (error) {
      button.disabled = false;
      notify('error', describeError(error).text, { id: `key-${key.id}` });
    }
  }
}

/** Copies a value shown once (a key, a secret) and says so on its button. */
export async function copyShown(value, button) {
  try {
    await navigator.clipboard.writeText(value.textContent);
    button.textContent = t('keys.copied');
  } catch {
    // no clipboard (plain HTTP): the value stays selectable on the page
    getSelection().selectAllChildren(value);
  }
}

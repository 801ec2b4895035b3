// Completion webhooks: add an endpoint (its signing secret shown once), delete one, and
// see the latest deliveries with their status, attempts and last answer, each of which
// can be sent again with the same event id.
import { del, get, post } from './api.js';
import { $, el } from './dom.js';
import { formatDate, t } from './i18n.js';
import { copyShown } from './keys.js';
import { describeError } from './messages.js';
import { notify, showMessage } from './notices.js';

export class WebhooksView {
  constructor() {
    this.error = $('#webhook-error');
    $('#webhook-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
    $('#webhook-copy').addEventListener('click', () => this.copy());
    $('#webhook-deliveries-refresh').addEventListener('click', () => this.refreshDeliveries());
  }

  async refresh() {
    await Promise.all([this.refreshEndpoints(), this.refreshDeliveries()]);
  }

  async refreshEndpoints() {
    try {
      const { webhooks } = await get('/api/webhooks');
      const rows = webhooks.map((hook) => el('tr', { 'data-webhook-id': hook.id },
        el('td', {}, el('code', {}, hook.url)),
        el('td', {}, el('time', { datetime: hook.created_at }, formatDate(hook.created_at))),
        el('td', { class: 'num' }, el('button', {
          type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': t('webhooks.deleteLabel', { url: hook.url }),
          onclick: (event) => this.remove(hook, event.currentTarget),
        }, t('webhooks.delete')))));
      if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '3', class: 'empty' }, t('webhooks.none'))));
      $('#webhooks tbody').replaceChildren(...rows);
    } catch (error) {
      notify('error', t('webhooks.loadFailed', { reason: describeError(error).text }), { id: 'webhooks' });
    }
  }

  async refreshDeliveries() {
    try {
      const { deliveries } = await get('/api/webhooks/deliveries');
      const rows = deliveries.map((delivery) => el('tr', { 'data-delivery-id': delivery.id, 'data-state': delivery.state },
        el('td', {}, el('time', { datetime: delivery.created_at }, formatDate(delivery.created_at))),
        el('td', {}, t(`webhooks.type.${delivery.type}`), el('br'), el('code', { class: 'small' }, delivery.event_id)),
        el('td', {}, el('code', {}, delivery.url)),
        el('td', {}, el('span', { class: `badge delivery-${delivery.state}` }, t(`webhooks.state.${delivery.state}`))),
        el('td', { class: 'num' }, String(delivery.attempts)),
        el('td', {}, Self.lastAnswer(delivery)),
        el('td', { class: 'num' }, el('button', {
          type: 'button', 'data-action': 'resend', disabled: delivery.state === 'delivering',
          'aria-label': t('webhooks.resendLabel', { event: delivery.event_id }),
          onclick: (event) => this.resend(delivery, event.currentTarget),
        }, t('webhooks.resend')))));
      if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '7', class: 'empty' }, t('webhooks.noDeliveries'))));
      $('#webhook-deliveries tbody').replaceChildren(...rows);
    } catch (error) {
      notify('error', t('webhooks.loadFailed', { reason: describeError(error).text }), { id: 'webhooks' });
    }
  }

  reset() {
    $('#webhooks tbody').replaceChildren();
    $('#webhook-deliveries tbody').replaceChildren();
    $('#webhook-created').hidden = true;
    $('#webhook-secret').textContent = '';
  }

  async create() {
    this.error.replaceChildren();
    const field = $('#webhook-url');
    const url = field.value.trim();
    if (!url) {
      showMessage(this.error, { text: t('webhooks.noURL') });
      field.focus();
      return;
    }
    try {
      const created = await post('/api/webhooks', { url });
      field.value = '';
      $('#webhook-secret').textContent = created.secret;
      $('#webhook-copy').textContent = t('keys.copy');
      $('#webhook-created').hidden = false;
      await this.refreshEndpoints();
    } catch (error) {
      showMessage(this.error, describeError(error));
    }
  }

  copy() {
    return copyShown($('#webhook-secret'), $('#webhook-copy'));
  }

  async remove(hook, button) {
    button.disabled = true;
    try {
      await del(`/api/webhooks/${encodeURIComponent(hook.id)}`);
      notify('info', t('webhooks.deleted', { url: hook.url }), { id: `webhook-${hook.id}` });
      await this.refresh();
    } catch (error) {
      button.disabled = false;
      notify('error', describeError(error).text, { id: `webhook-${hook.id}` });
    }
  }

  async resend(delivery, button) {
    button.disabled = true;
    try {
      await post(`/api/webhooks/deliveries/${encodeURIComponent(delivery.id)}/resend`);
      notify('info', t('webhooks.resent'), { id: `delivery-${delivery.id}` });
      await this.refreshDeliveries();
    } catch (error) {
      button.disabled = false;
      notify('error', describeError(error).text, { id: `delivery-${delivery.id}` });
    }
  }
}

const Self = {
  /** "HTTP 500 — answer" or why the attempt failed, or nothing before the first attempt. */
  lastAnswer(delivery) {
    if (delivery.last_status === null && !delivery.last_error) return delivery.attempts === 0 ? t('webhooks.notYet') : '';
    const status = delivery.last_status === null ? '' : `HTTP ${delivery.last_status}`;
    return [status, delivery.last_error].filter(Boolean).join(' — ');
  },
};

// My credits: the balance (counting up or down when it changes), the three packs with
// their price per credit, saving and minutes of audio, Stripe Checkout, and the last
// 100 movements.
import { get, post } from './api.js';
import { $, el, reducedMotion } from './dom.js';
import { credits, formatDate, formatMoney, formatNumber, t } from './i18n.js';
import { describeError, reasonLabel } from './messages.js';
import { notify } from './notices.js';

// One credit buys up to 10 s of audio (one per started 10 s).
const SECONDS_PER_CREDIT = 10;
const COUNT_MS = 700;

export class CreditsView {
  constructor() {
    this.plansLoaded = false;
    this.shown = null;
  }

  /** Reloads the balance (also shown in the navigation) and the history. */
  async refresh() {
    try {
      const statement = await get('/api/credits');
      this.renderBalance(statement);
      this.renderHistory(statement.history);
      return statement;
    } catch (error) {
      notify('error', t('credits.loadFailed', { reason: describeError(error).text }), { id: 'credits' });
      return null;
    }
  }

  reset() {
    this.shown = null;
    $('#balance').textContent = '–';
    $('#held').textContent = '–';
    $('#nav-balance').textContent = '';
    $('#history tbody').replaceChildren();
  }

  renderBalance(statement) {
    const balance = $('#balance');
    balance.dataset.credits = String(statement.credits);
    this.animate(balance, this.shown, statement.credits);
    this.shown = statement.credits;
    $('#held').textContent = formatNumber(statement.held);
    $('#nav-balance').textContent = formatNumber(statement.credits);
  }

  /** Counts from the number shown to the new one, unless motion is unwanted. */
  animate(node, from, to) {
    cancelAnimationFrame(this.frame);
    if (from === null || from === to || reducedMotion()) {
      node.textContent = formatNumber(to);
      return;
    }
    node.classList.add('changed');
    const started = performance.now();
    const step = (now) => {
      const progress = Math.min(1, (now - started) / COUNT_MS);
      const eased = 1 - (1 - progress) ** 3;
      node.textContent = formatNumber(Math.round(from + (to - from) * eased));
      if (progress < 1) this.frame = requestAnimationFrame(step);
      else node.classList.remove('changed');
    };
    this.frame = requestAnimationFrame(step);
  }

  renderHistory(history) {
    const rows = history.map((movement) => {
      const change = movement.change > 0 ? `+${formatNumber(movement.change)}` : movement.change < 0 ? `−${formatNumber(-movement.change)}` : '±0';
      const detail = movement.change === 0 ? t('credits.reservedEarlier', { count: movement.amount, credits: credits(movement.amount) }) : '';
      return el('tr', {},
        el('td', {}, el('time', { datetime: movement.created_at }, formatDate(movement.created_at))),
        el('td', {}, reasonLabel(movement.reason) + detail, movement.note ? el('span', { class: 'note' }, ` · ${movement.note}`) : null),
        el('td', { class: `num ${movement.change > 0 ? 'positive' : movement.change < 0 ? 'negative' : ''}` }, change));
    });
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '3', class: 'empty' }, t('credits.none'))));
    $('#history tbody').replaceChildren(...rows);
  }

  async loadPlans() {
    if (this.plansLoaded) return;
    try {
      const { plans } = await get('/api/plans');
      $('#plans').replaceChildren(...plans.map((plan) => this.planCard(plan)));
      this.plansLoaded = true;
    } catch (error) {
      notify('error', t('credits.plansFailed', { reason: describeError(error).text }), { id: 'plans' });
    }
  }

  planCard(plan) {
    const price = formatMoney(plan.price_cents, plan.currency);
    const perCredit = formatMoney(plan.price_per_credit_cents, plan.currency, { maximumFractionDigits: 3 });
    const minutes = formatNumber((plan.credits * SECONDS_PER_CREDIT) / 60, { maximumFractionDigits: 1 });
    const titleID = `plan-${plan.id}-title`;
    return el('li', { class: `plan card glass${plan.popular ? ' popular' : ''}`, 'data-plan': plan.id, 'aria-labelledby': titleID },
      plan.popular ? el('p', { class: 'ribbon' }, t('plan.popular')) : null,
      el('h3', { id: titleID }, plan.name),
      el('p', { class: 'plan-credits' }, credits(plan.credits)),
      el('p', { class: 'plan-price' }, price),
      el('p', { class: 'plan-unit' }, t('plan.perCredit', { price: perCredit })),
      el('p', { class: 'plan-minutes' }, t('plan.minutes', { minutes })),
      el('p', { class: 'plan-saving' }, plan.saving_percent > 0 ? t('plan.saving', { percent: plan.saving_percent }) : t('plan.basePrice')),
      el('button', {
        type: 'button', class: plan.popular ? 'primary' : '',
        'aria-label': t('plan.buyLabel', { plan: plan.name, credits: credits(plan.credits), price }),
        onclick: (event) => this.buy(plan, event.currentTarget),
      }, t('plan.buy')));
  }

  async buy(plan, button) {
    button.disabled = true;
    button.textContent = t('plan.opening');
    try {
      const checkout = await post('/api/checkout', { plan: plan.id });
      window.location.assign(checkout.url);
    } catch (error) {
      notify('error', describeError(error).text, { id: 'checkout' });
      button.disabled = false;
      button.textContent = t('plan.buy');
    }
  }

  /**
   * After Stripe sends the buyer back (`?checkout=success|cancel&session_id=…`): say what
   * happened and refresh the balance. Credits arrive by webhook, maybe a moment after the
   * redirect, so the balance is read again until the purchase (`purchase:<session id>`)
   * is in the history, for about 20 s.
   */
  async handleCheckoutReturn(outcome, sessionID) {
    if (outcome === 'success') {
      notify('success', t('checkout.success'), { id: 'checkout' });
      for (const wait of [0, 500, 1000, 2000, 4000, 6000, 8000]) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        const statement = await this.refresh();
        const bought = statement?.history.find((movement) => movement.id === `purchase:${sessionID}`);
        if (bought) {
          notify('success', t('checkout.added', { count: bought.change, credits: credits(bought.change) }), { id: 'checkout' });
          break;
        }
      }
    } else if (outcome === 'cancel') {
      notify('info', t('checkout.cancel'), { id: 'checkout' });
      await this.refresh();
    }
  }
}

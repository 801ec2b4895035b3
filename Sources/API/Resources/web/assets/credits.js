// The Credits view: balance, held credits, history, and the plans with Stripe Checkout.
import { get, post } from './api.js';
import { $, el, formatDate, plural } from './dom.js';
import { describeError, reasonLabel } from './messages.js';
import { notify } from './notices.js';

export class CreditsView {
  constructor() {
    this.plansLoaded = false;
  }

  /** Reloads the balance (also shown in the navigation) and the history. */
  async refresh() {
    try {
      const statement = await get('/api/credits');
      this.renderBalance(statement);
      this.renderHistory(statement.history);
      return statement;
    } catch (error) {
      notify('error', `Could not load your credits. ${describeError(error).text}`, { id: 'credits' });
      return null;
    }
  }

  reset() {
    $('#balance').textContent = '–';
    $('#held').textContent = '–';
    $('#nav-balance').textContent = '';
    $('#history tbody').replaceChildren();
  }

  renderBalance(statement) {
    const balance = $('#balance');
    balance.textContent = String(statement.credits);
    balance.dataset.credits = String(statement.credits);
    $('#held').textContent = String(statement.held);
    $('#nav-balance').textContent = String(statement.credits);
  }

  renderHistory(history) {
    const rows = history.map((movement) => {
      const change = movement.change > 0 ? `+${movement.change}` : movement.change < 0 ? `−${-movement.change}` : '±0';
      const detail = movement.change === 0 ? ` (${plural(movement.amount, 'credit')} reserved earlier)` : '';
      return el('tr', {},
        el('td', {}, el('time', { datetime: movement.created_at }, formatDate(movement.created_at))),
        el('td', {}, reasonLabel(movement.reason) + detail, movement.note ? el('span', { class: 'note' }, ` · ${movement.note}`) : null),
        el('td', { class: `num ${movement.change > 0 ? 'positive' : movement.change < 0 ? 'negative' : ''}` }, change));
    });
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '3', class: 'empty' }, 'No movements yet.')));
    $('#history tbody').replaceChildren(...rows);
  }

  async loadPlans() {
    if (this.plansLoaded) return;
    try {
      const { plans } = await get('/api/plans');
      $('#plans').replaceChildren(...plans.map((plan) => this.planCard(plan)));
      this.plansLoaded = true;
    } catch (error) {
      notify('error', `Could not load the plans. ${describeError(error).text}`, { id: 'plans' });
    }
  }

  planCard(plan) {
    const currency = plan.currency.toUpperCase();
    const price = new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(plan.price_cents / 100);
    const perCredit = new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 3 })
      .format(plan.price_per_credit_cents / 100);
    const titleID = `plan-${plan.id}-title`;
    return el('li', { class: `plan card${plan.popular ? ' popular' : ''}`, 'data-plan': plan.id, 'aria-labelledby': titleID },
      plan.popular ? el('p', { class: 'ribbon' }, 'Most popular') : null,
      el('h3', { id: titleID }, plan.name),
      el('p', { class: 'plan-credits' }, plural(plan.credits, 'credit')),
      el('p', { class: 'plan-price' }, price),
      el('p', { class: 'plan-unit' }, `${perCredit} per credit`),
      el('p', { class: 'plan-saving' }, plan.saving_percent > 0 ? `Save ${plan.saving_percent}%` : 'Base price'),
      el('button', {
        type: 'button', class: plan.popular ? 'primary' : '', 'aria-label': `Buy ${plan.name}: ${plural(plan.credits, 'credit')} for ${price}`,
        onclick: (event) => this.buy(plan, event.currentTarget),
      }, 'Buy'));
  }

  async buy(plan, button) {
    button.disabled = true;
    button.textContent = 'Opening checkout…';
    try {
      const checkout = await post('/api/checkout', { plan: plan.id });
      window.location.assign(checkout.url);
    } catch (error) {
      notify('error', describeError(error).text, { id: 'checkout' });
      button.disabled = false;
      button.textContent = 'Buy';
    }
  }

  /**
   * After Stripe sends the buyer back (`?checkout=success|cancel`): say what happened and
   * refresh the balance. Credits arrive by webhook, maybe a moment after the redirect, so
   * the balance is read again a few times.
   */
  async handleCheckoutReturn(outcome) {
    if (outcome === 'success') {
      notify('success', 'Payment received, thank you. Your credits are added as soon as Stripe confirms it, usually within seconds.', { id: 'checkout' });
      const before = (await this.refresh())?.credits;
      for (const wait of [2000, 5000, 10000]) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        const after = (await this.refresh())?.credits;
        if (after !== undefined && before !== undefined && after > before) break;
      }
    } else if (outcome === 'cancel') {
      notify('info', 'Checkout canceled. Nothing was charged.', { id: 'checkout' });
      await this.refresh();
    }
  }
}

// The page's entry point: sign-in, the three views behind hash links (#dub, #jobs,
// #credits), and the Stripe Checkout return (?checkout=success|cancel).
import { get } from './api.js';
import { $ } from './dom.js';
import { CreditsView } from './credits.js';
import { DubView } from './dub.js';
import { JobsView } from './jobs.js';
import { describeError } from './messages.js';
import { clearNotices, showMessage } from './notices.js';
import { clearKey, getKey, setKey } from './session.js';

const VIEWS = ['dub', 'jobs', 'credits'];
const jobs = new JobsView();
const credits = new CreditsView();
const dub = new DubView({
  onQueued: () => {
    jobs.refresh();
    credits.refresh();
  },
});
let currentView = null;

function show(view, { focus }) {
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
  for (const link of document.querySelectorAll('#nav a[data-view]')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  currentView = view;
  // Moving focus to the new heading tells keyboard and screen reader users the view changed.
  if (focus) $(`#view-${view} h1`)?.focus();
  if (view === 'jobs') jobs.refresh();
  if (view === 'credits') {
    credits.refresh();
    credits.loadPlans();
  }
  if (view === 'dub') dub.loadLanguages();
}

function route({ focus = true } = {}) {
  const signedIn = Boolean(getKey());
  $('#nav').hidden = !signedIn;
  if (!signedIn) return show('signin', { focus });
  const wanted = location.hash.slice(1);
  // Other fragments (the skip link's #main) keep the current view.
  show(VIEWS.includes(wanted) ? wanted : currentView || 'dub', { focus });
}

async function signIn(event) {
  event.preventDefault();
  const input = $('#api-key');
  const error = $('#signin-error');
  const key = input.value.trim();
  error.replaceChildren();
  if (!key) return showMessage(error, { text: 'Paste your API key first.' });
  setKey(key);
  try {
    await get('/api/credits');
  } catch (failure) {
    clearKey();
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return showMessage(error, describeError(failure));
  }
  input.value = '';
  input.removeAttribute('aria-invalid');
  credits.refresh(); // the balance in the navigation
  if (!VIEWS.includes(location.hash.slice(1))) history.replaceState(null, '', '#dub');
  route();
  returnFromCheckout();
}

function signOut() {
  clearKey();
  jobs.reset();
  credits.reset();
  clearNotices();
  currentView = null;
  history.replaceState(null, '', location.pathname);
  route();
}

$('#signin-form').addEventListener('submit', signIn);
$('#sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', () => route());
document.addEventListener('auris:credits-changed', () => credits.refresh());

// Kept until signed in: a buyer whose key was cleared still hears what happened.
let checkout = new URLSearchParams(location.search).get('checkout');
if (checkout) {
  // Drop the query (it carries Stripe's session id) so a reload does not repeat the notice.
  history.replaceState(null, '', `${location.pathname}#credits`);
}

function returnFromCheckout() {
  if (!checkout || !getKey()) return;
  credits.handleCheckoutReturn(checkout);
  checkout = null;
}

route({ focus: false });
if (getKey()) credits.refresh();
returnFromCheckout();

// The page's entry point: the language, sign-up and sign-in, the four views behind hash
// links (#dub, #jobs, #credits, #keys), and the Stripe Checkout return
// (?checkout=success|cancel&session_id=…).
import { ApiError, get, post } from './api.js';
import { $ } from './dom.js';
import { CreditsView } from './credits.js';
import { DubView } from './dub.js';
import { credits as creditsText, setLanguage, t, translatePage } from './i18n.js';
import { JobsView } from './jobs.js';
import { KeysView } from './keys.js';
import { WebhooksView } from './webhooks.js';
import { describeError } from './messages.js';
import { clearNotices, notify, showMessage } from './notices.js';

translatePage();

const VIEWS = ['dub', 'jobs', 'credits', 'keys'];
const jobs = new JobsView();
const credits = new CreditsView();
const keys = new KeysView();
const webhooks = new WebhooksView();
const dub = new DubView({
  onQueued: () => {
    jobs.refresh();
    credits.refresh();
  },
});
let currentView = null;
let signedIn = false;

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
  if (view === 'keys') {
    keys.refresh();
    webhooks.refresh();
  }
  if (view === 'dub') dub.loadLanguages();
}

function route({ focus = true } = {}) {
  $('#nav').hidden = !signedIn;
  $('#sign-out').hidden = !signedIn;
  if (!signedIn) return show('signin', { focus });
  const wanted = location.hash.slice(1);
  // Other fragments (the skip link's #main) keep the current view.
  show(VIEWS.includes(wanted) ? wanted : currentView || 'dub', { focus });
}

function showTab(which) {
  for (const name of ['signup', 'signin']) {
    const selected = name === which;
    $(`#tab-${name}`).setAttribute('aria-selected', String(selected));
    $(`#tab-${name}`).tabIndex = selected ? 0 : -1;
    $(`#${name}-form`).hidden = !selected;
  }
}

/** Sign-up or sign-in (form 'signup' or 'signin'): the server answers with the session cookies. */
async function authenticate(event, kind) {
  event.preventDefault();
  const form = event.currentTarget;
  const email = $(`#${kind}-email`);
  const password = $(`#${kind}-password`);
  const error = $(`#${kind}-error`);
  error.replaceChildren();
  if (!email.value.trim() || !password.value) return showMessage(error, { text: t('auth.missing') });
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const answer = await post(kind === 'signup' ? '/api/signup' : '/api/login', { email: email.value.trim(), password: password.value });
    password.value = '';
    for (const field of [email, password]) field.removeAttribute('aria-invalid');
    signedIn = true;
    if (kind === 'signup') notify('success', t('auth.welcome', { credits: creditsText(answer.credits) }), { id: 'welcome' });
    if (!VIEWS.includes(location.hash.slice(1))) history.replaceState(null, '', '#dub');
    credits.refresh(); // the balance in the navigation
    route();
    returnFromCheckout();
  } catch (failure) {
    const field = failure.code === 'invalid_email' || failure.code === 'email_taken' ? email : password;
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    showMessage(error, describeError(failure));
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await post('/api/logout');
  } catch {
    // the session is gone already, or the server is away: the page forgets it anyway
  }
  forget();
}

/** Back to the signed-out page, with nothing of the account left on it. */
function forget() {
  signedIn = false;
  jobs.reset();
  credits.reset();
  keys.reset();
  webhooks.reset();
  clearNotices();
  currentView = null;
  history.replaceState(null, '', location.pathname);
  route();
}

$('#signup-form').addEventListener('submit', (event) => authenticate(event, 'signup'));
$('#signin-form').addEventListener('submit', (event) => authenticate(event, 'signin'));
$('#tab-signup').addEventListener('click', () => showTab('signup'));
$('#tab-signin').addEventListener('click', () => showTab('signin'));
$('#sign-out').addEventListener('click', signOut);
for (const button of document.querySelectorAll('button[data-lang]')) {
  // Everything on the page is rebuilt in the new language by loading it again.
  button.addEventListener('click', () => {
    setLanguage(button.dataset.lang);
    location.reload();
  });
}
window.addEventListener('hashchange', () => route());
document.addEventListener('auris:credits-changed', () => credits.refresh());
document.addEventListener('auris:signed-out', () => {
  if (!signedIn) return;
  signedIn = false;
  // After the failed call's own handler has run, so its "could not load" goes too.
  setTimeout(() => {
    forget();
    notify('info', t('error.unauthorized'), { id: 'signed-out' });
  });
});

// Kept until signed in: a buyer whose session ended still hears what happened.
const query = new URLSearchParams(location.search);
let checkout = query.get('checkout') && { outcome: query.get('checkout'), sessionID: query.get('session_id') };
if (checkout) {
  // Drop the query (it carries Stripe's session id) so a reload does not repeat the notice.
  history.replaceState(null, '', `${location.pathname}#credits`);
}

function returnFromCheckout() {
  if (!checkout || !signedIn) return;
  credits.handleCheckoutReturn(checkout.outcome, checkout.sessionID);
  checkout = null;
}

async function start() {
  try {
    await get('/api/me');
    signedIn = true;
  } catch (error) {
    signedIn = false;
    if (!(error instanceof ApiError) || error.status !== 401) notify('error', describeError(error).text, { id: 'start' });
  }
  showTab('signup');
  route({ focus: false });
  if (signedIn) credits.refresh();
  returnFromCheckout();
}

start();

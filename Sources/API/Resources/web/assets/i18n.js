// The page's language (French or English) and everything said or formatted in it.
// The server picks the first language from Accept-Language into <html lang>; a choice
// made with the FR/EN buttons is remembered in this browser and wins from then on.
import { CATALOGUE } from './catalogue.js';

const STORAGE_KEY = 'auris.lang';
export const LANGUAGES = ['fr', 'en'];

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the server's choice stands
  }
}

let current = [stored(), document.documentElement.lang].find((language) => LANGUAGES.includes(language)) || 'en';
document.documentElement.lang = current;

export function language() {
  return current;
}

/** Switches and remembers the language; the caller re-renders. */
export function setLanguage(next) {
  if (!LANGUAGES.includes(next)) return;
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, still switched for this page
  }
}

/**
 * The catalogue's text for `key`, with {name} replaced from `values`. An entry that
 * is an object is chosen by plural category of `values.count` (Intl.PluralRules).
 */
export function t(key, values = {}) {
  let entry = CATALOGUE[current][key] ?? CATALOGUE.en[key];
  if (entry === undefined) return key;
  if (typeof entry === 'object') {
    const category = new Intl.PluralRules(current).select(Number(values.count ?? 0));
    entry = entry[category] ?? entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (_, name) => {
    const value = values[name];
    return typeof value === 'number' ? formatNumber(value) : String(value ?? '');
  });
}

/** Fills every [data-i18n] element's text and every [data-i18n-attr] attribute. */
export function translatePage(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(';')) {
      const [attribute, key] = pair.split(':');
      node.setAttribute(attribute, t(key));
    }
  }
  document.title = t('page.title');
  for (const button of document.querySelectorAll('button[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === current));
  }
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(current, options).format(value);
}

/** 500, 'eur' → "5,00 €" in French, "€5.00" in English. */
export function formatMoney(cents, currency, options = {}) {
  return new Intl.NumberFormat(current, { style: 'currency', currency: currency.toUpperCase(), ...options }).format(cents / 100);
}

export function formatDate(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(current, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatBytes(bytes) {
  if (bytes < 1024) return t('unit.bytes', { count: bytes });
  if (bytes < 1024 * 1024) return t('unit.kilobytes', { size: formatNumber(bytes / 1024, { maximumFractionDigits: 0 }) });
  return t('unit.megabytes', { size: formatNumber(bytes / 1024 / 1024, { maximumFractionDigits: 1 }) });
}

/** "2 credits" / "2 crédits", with the number formatted for the language. */
export function credits(count) {
  return t('unit.credits', { count });
}

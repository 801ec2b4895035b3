// The languages the server dubs into (GET /api/languages), loaded once per page.
import { get } from './api.js';

let loading = null;
const names = new Map();

/** Resolves to [{ code, name }] sorted by name. */
export function loadLanguages() {
  loading ??= get('/api/languages').then((answer) => {
    for (const language of answer.languages) names.set(language.code, language.name);
    return answer.languages;
  }).catch((error) => {
    loading = null; // let a later call try again
    throw error;
  });
  return loading;
}

export function languageName(code) {
  return names.get(code) || code || '';
}

// The API key, kept in this browser's localStorage until the user signs out. It is only
// ever sent in the Authorization header, never in a URL.

const STORAGE_KEY = 'auris.apiKey';

export function getKey() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the user stays signed out
  }
}

export function setKey(key) {
  localStorage.setItem(STORAGE_KEY, key);
}

export function clearKey() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored, nothing to remove
  }
}

// The signed-in browser: the session cookie is HttpOnly (scripts never see it); the
// readable auris_csrf cookie is echoed in X-CSRF-Token on every state change.

export function csrfToken() {
  const found = document.cookie.split(';').map((part) => part.trim()).find((part) => part.startsWith('auris_csrf='));
  return found ? decodeURIComponent(found.slice('auris_csrf='.length)) : '';
}

// Every call to the Auris JSON API goes through here, so every failure arrives in one
// shape: an ApiError with the HTTP status and the server's stable error code. The
// browser sends the session cookie itself; state changes add the CSRF token.
import { csrfToken } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || (status === 0 ? 'The server could not be reached.' : `HTTP ${status}`));
    this.status = status;
    this.code = error.code || (status === 0 ? 'network_error' : `http_${status}`);
    this.details = error;
  }
}

/** Headers of a request; a state change (not GET) carries the CSRF token. */
function authHeaders(extra = {}, method = 'GET') {
  return method === 'GET' ? extra : { ...extra, 'X-CSRF-Token': csrfToken() };
}

async function send(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: authHeaders(body === undefined ? {} : { 'Content-Type': 'application/json' }, method),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, null);
  }
  const data = await response.json().catch(() => null);
  // A session that ended elsewhere (signed out, expired): the page goes back to sign-in.
  if (response.status === 401 && data?.error?.code === 'unauthorized') document.dispatchEvent(new CustomEvent('auris:signed-out'));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => send('GET', path);
export const post = (path, body) => send('POST', path, body ?? {});
export const del = (path) => send('DELETE', path);

/** Fetches binary content (a result); the answer is a Blob. */
export async function getBlob(path) {
  let response;
  try {
    response = await fetch(path, { headers: authHeaders() });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.blob();
}

/** Opens a streaming GET (Server-Sent Events). */
export async function openStream(path, signal) {
  const response = await fetch(path, {
    headers: authHeaders({ Accept: 'text/event-stream' }),
    cache: 'no-store',
    signal,
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response;
}

/**
 * Uploads a form to POST /api/dub. XMLHttpRequest rather than fetch because only it
 * reports upload progress. `idempotencyKey` names the attempt: sent again after a cut-off
 * or canceled upload, the server answers with the job it may already have queued
 * instead of charging twice. Returns { promise, abort }.
 */
export function upload(formData, onProgress, idempotencyKey) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api/dub');
    xhr.setRequestHeader('X-CSRF-Token', csrfToken());
    if (idempotencyKey) xhr.setRequestHeader('Idempotency-Key', idempotencyKey);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else reject(new ApiError(xhr.status, xhr.response));
    });
    // The server may answer 413 and close while the body is still going up; the browser
    // then reports a network error rather than the answer.
    xhr.addEventListener('error', () => reject(new ApiError(0, { error: { code: 'upload_interrupted' } })));
    xhr.addEventListener('abort', () => reject(new ApiError(0, { error: { code: 'upload_aborted' } })));
    xhr.send(formData);
  });
  return { promise, abort: () => xhr.abort() };
}

// Follows a job until it finishes. Server-Sent Events are read with fetch() streaming,
// which reads an error's JSON and stops on 404 where EventSource would retry blindly.
// When streaming fails, it polls.
import { ApiError, get, openStream } from './api.js';
import { delay } from './dom.js';

export const FINISHED = new Set(['succeeded', 'failed', 'canceled']);
const POLL_MS = 2000;
const RECONNECT_MS = 1000;
const STREAM_FAILURES_BEFORE_POLLING = 3;

/**
 * Calls onJob(job) with each new state of the job until it is finished or `signal`
 * aborts. mode 'stream' tries SSE first; 'poll' only polls (the page keeps a few
 * streams at most: a browser opens six connections per host).
 */
export async function watchJob(id, onJob, signal, mode = 'stream') {
  const canStream = mode === 'stream' && typeof TextDecoderStream === 'function';
  let failures = 0;
  while (canStream && !signal.aborted && failures < STREAM_FAILURES_BEFORE_POLLING) {
    try {
      const last = await streamOnce(id, onJob, signal);
      if (last && FINISHED.has(last.status)) return;
      // The server ends every stream after a while; pick up where it left off.
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status === 404)) return;
      failures += 1;
    }
    await delay(RECONNECT_MS, signal);
  }
  await poll(id, onJob, signal);
}

async function streamOnce(id, onJob, signal) {
  const response = await openStream(`/api/dub/${encodeURIComponent(id)}/events`, signal);
  if (!response.body) throw new Error('no streaming body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return last;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event.type === 'status' && event.data) {
          last = JSON.parse(event.data);
          onJob(last);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** One SSE block: `event:` and `data:` lines; comments (heartbeats) start with ':'. */
function parseEvent(block) {
  const event = { type: 'message', data: '' };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event.type = value;
    else if (field === 'data') event.data += (event.data ? '\n' : '') + value;
  }
  return event;
}

async function poll(id, onJob, signal) {
  while (!signal.aborted) {
    try {
      const job = await get(`/api/dub/${encodeURIComponent(id)}`);
      if (signal.aborted) return;
      onJob(job);
      if (FINISHED.has(job.status)) return;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 401)) return;
    }
    await delay(POLL_MS, signal);
  }
}

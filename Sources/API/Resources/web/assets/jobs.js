// The Jobs view: the account's jobs with live status, cancel, listen and download.
// Cards are updated in place, so a player that is open survives status updates.
import { ApiError, del, get, getBlob } from './api.js';
import { $, el } from './dom.js';
import { credits, formatDate, formatNumber, t } from './i18n.js';
import { languageName } from './languages.js';
import { FINISHED, watchJob } from './live.js';
import { describeError, stageLabel, statusLabel } from './messages.js';
import { notify } from './notices.js';
import { showTranscript } from './transcript.js';

const PAGE_SIZE = 20;
// Streams hold a connection each and a browser opens six per host; more jobs poll.
const MAX_STREAMS = 3;

export class JobsView {
  constructor() {
    this.list = $('#job-list');
    this.empty = $('#jobs-empty');
    this.more = $('#jobs-more');
    this.announcer = el('p', { class: 'visually-hidden', role: 'status' });
    this.list.after(this.announcer);
    this.cards = new Map();
    this.watchers = new Map();
    this.blobURLs = new Map();
    this.streams = 0;
    this.nextCursor = null;
    $('#jobs-refresh').addEventListener('click', () => this.refresh());
    this.more.addEventListener('click', () => this.loadMore());
  }

  async refresh() {
    try {
      const page = await get(`/api/dub?limit=${PAGE_SIZE}`);
      this.list.prepend(...page.jobs.map((job) => this.upsert(job)));
      if (this.cards.size <= PAGE_SIZE) this.setCursor(page.next_cursor);
      this.empty.hidden = this.cards.size > 0;
    } catch (error) {
      notify('error', t('jobs.loadFailed', { reason: describeError(error).text }), { id: 'jobs' });
    }
  }

  async loadMore() {
    if (!this.nextCursor) return;
    try {
      const page = await get(`/api/dub?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(this.nextCursor)}`);
      this.list.append(...page.jobs.map((job) => this.upsert(job)));
      this.setCursor(page.next_cursor);
    } catch (error) {
      notify('error', t('jobs.olderFailed', { reason: describeError(error).text }), { id: 'jobs' });
    }
  }

  setCursor(cursor) {
    this.nextCursor = cursor;
    this.more.hidden = !cursor;
  }

  /** Stops every stream and forgets every job (sign-out). */
  reset() {
    for (const controller of this.watchers.values()) controller.abort();
    for (const url of this.blobURLs.values()) URL.revokeObjectURL(url);
    this.watchers.clear();
    this.blobURLs.clear();
    this.cards.clear();
    this.list.replaceChildren();
    this.setCursor(null);
  }

  /** Shows the job (new or changed) and follows it while it runs; returns its node. */
  upsert(job) {
    let card = this.cards.get(job.id);
    if (!card) {
      card = this.createCard(job);
      this.cards.set(job.id, card);
    }
    const wasRunning = card.job && !FINISHED.has(card.job.status);
    card.job = job;
    this.render(card);
    if (wasRunning && FINISHED.has(job.status)) {
      this.announcer.textContent = t('jobs.finished', { language: languageName(job.target_language), status: statusLabel(job.status) });
      document.dispatchEvent(new CustomEvent('auris:credits-changed'));
    }
    if (!FINISHED.has(job.status)) this.watch(job.id);
    return card.node;
  }

  watch(id) {
    if (this.watchers.has(id)) return;
    const controller = new AbortController();
    this.watchers.set(id, controller);
    const stream = this.streams < MAX_STREAMS;
    if (stream) this.streams += 1;
    watchJob(id, (job) => this.upsert(job), controller.signal, stream ? 'stream' : 'poll').finally(() => {
      if (stream) this.streams -= 1;
      if (this.watchers.get(id) === controller) this.watchers.delete(id);
    });
  }

  createCard(job) {
    const id = job.id;
    const parts = {
      badge: el('span', { class: 'badge', 'data-field': 'status' }),
      title: el('h2', { class: 'job-title' }),
      meta: el('p', { class: 'job-meta' }),
      progress: el('progress', { max: '1', value: '0', 'aria-labelledby': `job-${id}-progress` }),
      progressLabel: el('span', { id: `job-${id}-progress`, class: 'progress-label', 'data-field': 'stage' }),
      error: el('p', { class: 'job-error' }),
      actions: el('div', { class: 'job-actions' }),
      player: el('div', { class: 'job-player' }),
      transcript: el('div', { class: 'job-transcript' }),
    };
    const node = el('li', { class: 'job card', id: `job-${id}`, 'data-job-id': id },
      el('div', { class: 'job-head' }, parts.title, parts.badge),
      parts.meta,
      el('div', { class: 'job-progress' }, parts.progress, parts.progressLabel),
      parts.error, parts.actions, parts.player, parts.transcript);
    return { node, parts, job: null, actionsKey: null };
  }

  render(card) {
    const { job, parts, node } = card;
    node.dataset.status = job.status;
    parts.badge.textContent = job.cancel_requested && !FINISHED.has(job.status) ? t('jobs.canceling') : statusLabel(job.status);
    parts.badge.className = `badge status-${job.status}`;
    parts.title.textContent = t('jobs.into', { language: languageName(job.target_language), seconds: seconds(job.duration_seconds) });
    parts.meta.textContent = `${formatDate(job.created_at)} · ${creditsText(job)}`;
    const progress = job.status === 'succeeded' ? 1 : job.progress;
    parts.progress.value = progress;
    parts.progress.hidden = FINISHED.has(job.status) && job.status !== 'succeeded';
    parts.progressLabel.textContent = progressText(job, progress);
    parts.error.textContent = job.error ? `${job.error.message || job.error.code}` : '';
    parts.error.hidden = !job.error;
    // A cancel is the user's own doing: say why it stopped without alarm colours.
    parts.error.className = job.status === 'canceled' ? 'job-note' : 'job-error';
    const actionsKey = `${job.status}:${job.cancel_requested}`;
    if (actionsKey !== card.actionsKey) {
      card.actionsKey = actionsKey;
      parts.actions.replaceChildren(...this.actions(card));
    }
  }

  actions(card) {
    const { job } = card;
    const label = t('jobs.label', { language: languageName(job.target_language), date: formatDate(job.created_at) });
    if (!FINISHED.has(job.status) && !job.cancel_requested) {
      return [el('button', { type: 'button', class: 'danger', 'aria-label': t('jobs.cancelLabel', { job: label }), onclick: (event) => this.cancel(card, event.currentTarget) }, t('jobs.cancel'))];
    }
    if (job.status === 'succeeded') {
      return [
        el('button', { type: 'button', class: 'primary', 'data-action': 'listen', 'aria-label': t(isVideo(job) ? 'jobs.watchLabel' : 'jobs.listenLabel', { job: label }), onclick: (event) => this.listen(card, event.currentTarget) }, t(isVideo(job) ? 'jobs.watch' : 'jobs.listen')),
        el('button', { type: 'button', 'data-action': 'download', 'aria-label': t('jobs.downloadLabel', { job: label }), onclick: (event) => this.download(card, event.currentTarget) }, t(isVideo(job) ? 'jobs.downloadVideo' : 'jobs.download')),
        el('button', { type: 'button', 'data-action': 'transcript', 'aria-label': t('jobs.transcriptLabel', { job: label }), onclick: (event) => this.transcript(card, event.currentTarget) }, t('jobs.transcript')),
      ];
    }
    return [];
  }

  async cancel(card, button) {
    button.disabled = true;
    try {
      await del(`/api/dub/${encodeURIComponent(card.job.id)}`);
      this.upsert(await get(`/api/dub/${encodeURIComponent(card.job.id)}`));
    } catch (error) {
      button.disabled = false;
      notify('error', describeError(error).text, { id: `job-${card.job.id}` });
      if (error instanceof ApiError && error.code === 'already_finished') this.upsert(await get(`/api/dub/${encodeURIComponent(card.job.id)}`));
    }
  }

  async resultURL(card) {
    const id = card.job.id;
    if (!this.blobURLs.has(id)) {
      const blob = await getBlob(`/api/dub/${encodeURIComponent(id)}/result`);
      this.blobURLs.set(id, URL.createObjectURL(blob));
    }
    return this.blobURLs.get(id);
  }

  async listen(card, button) {
    button.disabled = true;
    try {
      const url = await this.resultURL(card);
      // A video result plays its dubbed track, the first and default one.
      const player = el(isVideo(card.job) ? 'video' : 'audio', {
        controls: true, preload: 'metadata', playsinline: true, src: url,
        'aria-label': t(isVideo(card.job) ? 'jobs.videoPlayer' : 'jobs.player', { language: languageName(card.job.target_language) }),
      });
      card.parts.player.replaceChildren(player);
      button.remove();
      player.focus();
    } catch (error) {
      button.disabled = false;
      notify('error', describeError(error).text, { id: `job-${card.job.id}` });
    }
  }

  async transcript(card, button) {
    button.disabled = true;
    try {
      await showTranscript(card.job, card.parts.transcript);
      button.remove();
    } catch (error) {
      button.disabled = false;
      notify('error', describeError(error).text, { id: `job-${card.job.id}` });
    }
  }

  async download(card, button) {
    button.disabled = true;
    try {
      const link = el('a', { href: await this.resultURL(card), download: `auris-${card.job.id}.${card.job.result?.file_extension ?? 'mp3'}`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      notify('error', describeError(error).text, { id: `job-${card.job.id}` });
    } finally {
      button.disabled = false;
    }
  }
}

function seconds(value) {
  return formatNumber(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

function creditsText(job) {
  if (job.status === 'succeeded') return t('jobs.charged', { count: job.credits_charged, credits: credits(job.credits_charged) });
  const reserved = { count: job.credits_reserved, credits: credits(job.credits_reserved) };
  if (job.status === 'failed' || job.status === 'canceled') return t('jobs.returned', reserved);
  return t('jobs.reserved', reserved);
}

function progressText(job, progress) {
  const percent = formatNumber(progress, { style: 'percent' });
  switch (job.status) {
    case 'queued': return job.attempts > 0 ? t('jobs.retrying', { attempt: job.attempts + 1 }) : t('jobs.waiting');
    case 'running': return `${stageLabel(job.stage) || t('jobs.starting')} · ${percent}`;
    case 'succeeded': return t('jobs.done');
    default: return '';
  }
}

/** Whether the job's result is a video (older servers' jobs have no `result`: audio). */
function isVideo(job) {
  return job.result?.video === true;
}

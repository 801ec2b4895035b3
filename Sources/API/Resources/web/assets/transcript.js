// A succeeded job's transcript in the Jobs view: each line with its time and speaker,
// the dubbed text and, when there is one, what was heard; SRT and WebVTT downloads.
import { get, getBlob } from './api.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { describeError } from './messages.js';
import { notify } from './notices.js';

/** Loads the transcript of `job` into `container` (replacing what it held). */
export async function showTranscript(job, container) {
  const base = `/api/dub/${encodeURIComponent(job.id)}/transcript`;
  const transcript = await get(base);
  const speakers = [...new Set(transcript.lines.map((line) => line.speaker).filter(Boolean))];
  const list = el('ol', { class: 'transcript-lines' }, ...transcript.lines.map((line) => el('li', {
    // A colour per speaker by class: the page's Content-Security-Policy refuses inline styles.
    class: line.speaker ? `transcript-line speaker-${speakers.indexOf(line.speaker) % 4}` : 'transcript-line',
    'data-speaker': line.speaker ?? '',
  },
  el('span', { class: 'transcript-time' }, clock(line.start_ms)),
  line.speaker ? el('span', { class: 'transcript-speaker' }, t('transcript.speaker', { speaker: line.speaker })) : null,
  el('span', { class: 'transcript-text', lang: transcript.target_language }, line.target_text),
  line.source_text ? el('span', { class: 'transcript-source', lang: transcript.source_language ?? null }, line.source_text) : null)));
  const links = ['srt', 'vtt'].map((format) => el('button', {
    type: 'button', 'data-format': format, onclick: () => download(job, base, format),
  }, t(`transcript.${format}`)));
  const summary = speakers.length > 0 ? t('transcript.speakers', { count: speakers.length, names: speakers.join(', ') }) : t('transcript.oneVoice');
  container.replaceChildren(el('section', { class: 'transcript', 'aria-label': t('transcript.title') },
    el('h3', {}, t('transcript.title')), el('p', { class: 'transcript-summary' }, summary),
    el('div', { class: 'job-actions' }, ...links), list));
}

async function download(job, base, format) {
  try {
    const url = URL.createObjectURL(await getBlob(`${base}?format=${format}`));
    const link = el('a', { href: url, download: `auris-${job.id}.${format}`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    notify('error', describeError(error).text, { id: `job-${job.id}` });
  }
}

function clock(milliseconds) {
  const total = Math.floor(milliseconds / 1000);
  const minutes = Math.floor(total / 60);
  return `${minutes}:${String(total % 60).padStart(2, '0')}`;
}

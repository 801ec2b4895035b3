// The Dub view: choose or drop a file, pick the language, upload with progress, and
// report what the server answered (the credits reserved, or why it refused).
import { upload } from './api.js';
import { $, el } from './dom.js';
import { credits, formatBytes, formatNumber, t } from './i18n.js';
import { loadLanguages } from './languages.js';
import { describeError } from './messages.js';
import { showMessage } from './notices.js';

export class DubView {
  /** onQueued(answer) runs after the server accepted a job. */
  constructor({ onQueued }) {
    this.onQueued = onQueued;
    this.form = $('#dub-form');
    this.file = $('#dub-file');
    this.error = $('#dub-error');
    this.current = null;
    this.setUpDropZone();
    this.file.addEventListener('change', () => this.showFileName());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    $('#dub-abort').addEventListener('click', () => this.current?.abort());
  }

  async loadLanguages() {
    try {
      const languages = await loadLanguages();
      for (const select of [$('#dub-target'), $('#dub-source')]) {
        if (select.options.length > 1) continue;
        select.append(...languages.map((language) => el('option', { value: language.code }, language.name)));
      }
    } catch (error) {
      showMessage(this.error, { text: t('dub.languagesFailed', { reason: describeError(error).text }) });
    }
  }

  setUpDropZone() {
    const zone = $('#drop-zone');
    for (const type of ['dragenter', 'dragover']) {
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add('dragging');
      });
    }
    for (const type of ['dragleave', 'drop']) zone.addEventListener(type, () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      if (event.dataTransfer?.files.length) {
        this.file.files = event.dataTransfer.files;
        this.showFileName();
      }
    });
  }

  showFileName() {
    const file = this.file.files[0];
    $('#dub-file-name').textContent = file ? t('dub.selected', { name: file.name, size: formatBytes(file.size) }) : '';
  }

  async submit() {
    this.error.replaceChildren();
    const file = this.file.files[0];
    const target = $('#dub-target').value;
    if (!file) return this.invalid(this.file, t('dub.noFile'));
    if (!target) return this.invalid($('#dub-target'), t('dub.noTarget'));

    const form = new FormData();
    form.append('target_language', target);
    if ($('#dub-source').value) form.append('source_language', $('#dub-source').value);
    if ($('#dub-voice').value) form.append('voice', $('#dub-voice').value);
    if ($('#dub-background').checked) form.append('background', 'keep');
    // Only a video's result has a second track; the server keeps it unless told to drop it.
    if (!$('#dub-original').checked) form.append('original', 'drop');
    if ($('#dub-speakers').checked) form.append('speakers', 'auto');
    form.append('file', file, file.name);
    const subtitles = $('#dub-subtitles').files[0];
    if (subtitles) form.append('subtitles', subtitles, subtitles.name);

    // One key per request: a retry of the same file and settings after a cut-off or a
    // cancel reuses it, so a job the server had already queued is not charged twice.
    const request = [file.name, file.size, file.lastModified, target, $('#dub-source').value, $('#dub-voice').value,
      $('#dub-background').checked, $('#dub-original').checked, $('#dub-speakers').checked, subtitles?.name, subtitles?.size, subtitles?.lastModified].join('|');
    if (this.attempt?.request !== request) this.attempt = { request, key: newIdempotencyKey() };

    this.setBusy(true);
    let sentAll = false;
    this.current = upload(form, (fraction) => {
      sentAll = fraction >= 1;
      this.setProgress(fraction);
    }, this.attempt.key);
    try {
      const answer = await this.current.promise;
      this.attempt = null;
      this.showAccepted(answer, file.name);
      this.form.reset();
      this.showFileName();
      this.onQueued(answer);
    } catch (error) {
      const unsure = sentAll && (error.code === 'upload_aborted' || error.code === 'upload_interrupted');
      // A refusal with an answer is final for this request: a new attempt gets a new key.
      if (error.status >= 400) this.attempt = null;
      showMessage(this.error, unsure ? uploadMayHaveBeenQueued() : describeError(error));
      this.error.focus?.();
    } finally {
      this.current = null;
      this.setBusy(false);
    }
  }

  invalid(field, text) {
    showMessage(this.error, { text });
    field.setAttribute('aria-invalid', 'true');
    field.addEventListener('change', () => field.removeAttribute('aria-invalid'), { once: true });
    field.focus();
  }

  setBusy(busy) {
    $('#dub-submit').disabled = busy;
    $('#dub-abort').hidden = !busy;
    $('#upload-status').hidden = !busy;
    if (busy) this.setProgress(0);
  }

  setProgress(fraction) {
    const percent = Math.round(fraction * 100);
    $('#upload-progress').value = percent;
    $('#upload-percent').textContent = percent === 100 ? t('dub.measuring') : formatNumber(fraction, { style: 'percent' });
  }

  showAccepted(answer, fileName) {
    $('#dub-result').replaceChildren(el('div', { class: 'notice notice-success', 'data-job-id': answer.id },
      el('p', {}, el('strong', {}, t('dub.queued', { name: fileName })), ' ',
        t('dub.queuedDetail', {
          count: answer.credits_reserved,
          seconds: formatNumber(answer.duration_seconds, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
          reserved: credits(answer.credits_reserved), left: credits(answer.credits_available),
        }), ' ',
        el('a', { href: '#jobs' }, t('dub.follow')))));
  }
}

/** A random key for one upload request (also where crypto.randomUUID is missing: plain HTTP). */
function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'web-' + Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The whole file had gone up when the upload stopped: the server may have queued it. */
function uploadMayHaveBeenQueued() {
  return { text: t('dub.mayBeQueued'), action: { href: '#jobs', label: t('action.jobs') } };
}

import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay } from '../../util/backoff.js';
import type { MailMessage, Mailer, SentMail } from '../../integrations/mail/mailer.js';
import type { VoicemailRecord } from './voicemail-repository.js';

/** The admin API path that serves a voicemail's WAV (API key required). */
export function recordingLink(publicUrl: string, voicemailId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/voicemails/${encodeURIComponent(voicemailId)}/recording`;
}

/** The notification: caller, time, length, summary or transcript when known, and the recording link. */
export function voicemailEmail(input: {
  voicemail: VoicemailRecord;
  to: string[];
  publicUrl: string;
  subject?: string;
  summary?: string;
  transcript?: string;
  agentName?: string;
}): MailMessage {
  const vm = input.voicemail;
  const caller = vm.from_number || 'an unknown caller';
  const link = recordingLink(input.publicUrl, vm.id);
  const lines = [
    `New voicemail from ${caller}${vm.to_number ? ` to ${vm.to_number}` : ''}.`,
    '',
    `Time: ${vm.created_at}`,
    `Length: ${(vm.duration_ms / 1000).toFixed(1)} s`,
    ...(input.agentName ? [`Agent: ${input.agentName}`] : []),
    ...(input.summary ? ['', `Summary: ${input.summary}`] : []),
    ...(input.transcript ? ['', 'Transcript:', input.transcript] : []),
    '',
    `Recording: ${link}`,
    '(send your API key as Authorization: Bearer <key> to download it)',
  ];
  return {
    to: input.to,
    subject: input.subject || `Voicemail from ${caller}`,
    text: lines.join('\n'),
    headers: { 'X-Callwright-Voicemail': vm.id },
  };
}

const MAX_MAIL_BACKOFF_MS = 10_000;

/**
 * Sends inline when no outbox handler exists, retrying with the shared jittered backoff (at most
 * MAX_MAIL_BACKOFF_MS between tries, cut short when the run is aborted); the last error is thrown.
 * The voicemail is already saved, so a failed mail never re-records the message.
 */
export async function sendWithRetry(
  mailer: Mailer,
  message: MailMessage,
  options: { attempts: number; backoffMs: number; signal?: AbortSignal },
): Promise<{ sent: SentMail; attempts: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.signal?.aborted) break;
    try {
      return { sent: await mailer.send(message), attempts: attempt };
    } catch (err) {
      lastError = err;
      if (attempt < options.attempts) {
        const wait = backoffDelay(attempt, options.backoffMs, MAX_MAIL_BACKOFF_MS);
        await delay(wait, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      }
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError ?? 'mail not sent'));
}

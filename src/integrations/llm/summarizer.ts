import type { ChatClient } from './chat-client.js';
import { transcriptText, type TranscriptLine } from './call-transcript.js';

/** What the summary is for: the tone and length differ (a whisper is spoken to an agent in seconds). */
export type SummaryPurpose = 'call' | 'whisper' | 'voicemail' | 'crm';

export interface SummaryRequest {
  transcript: readonly TranscriptLine[];
  purpose?: SummaryPurpose;
  /** Upper bound on words (default 80; whispers should use ~25). */
  maxWords?: number;
  /** Extra instructions appended to the prompt. */
  instructions?: string;
  signal?: AbortSignal;
}

export interface Summary {
  text: string;
  /** `llm` or `extractive` (no LLM configured). */
  source: 'llm' | 'extractive';
}

/**
 * Summaries of calls for other parts: warm-transfer whispers, voicemail emails, CRM logs and the
 * summarize-call action. Reach it as `ctx.services.summarizer` (see `summarizerOf`).
 */
export interface Summarizer {
  summarize(request: SummaryRequest): Promise<Summary>;
}

const PURPOSE: Record<SummaryPurpose, string> = {
  call: 'Summarise this phone call for the call record: who called, what they wanted, what was agreed.',
  whisper:
    'Summarise this call in one short spoken sentence for a colleague about to take it over: who and why.',
  voicemail: 'Summarise this voicemail for an email notification: who called, why, and any callback details.',
  crm: 'Summarise this call for a CRM activity note: the request, the outcome and any follow-up.',
};

/** Summaries written by the LLM. */
export class LlmSummarizer implements Summarizer {
  constructor(private readonly client: ChatClient) {}

  async summarize(request: SummaryRequest): Promise<Summary> {
    const maxWords = request.maxWords ?? 80;
    if (!request.transcript.length) return { text: '', source: 'llm' };
    const system = [
      PURPOSE[request.purpose ?? 'call'],
      `Use at most ${maxWords} words. Plain text, no lists, no markdown. Do not invent facts.`,
      request.instructions ?? '',
    ]
      .filter(Boolean)
      .join('\n');
    const reply = await this.client.complete({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: transcriptText(request.transcript) },
      ],
      maxTokens: Math.max(64, maxWords * 3),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return { text: limitWords(reply.content.trim(), maxWords), source: 'llm' };
  }
}

/**
 * Without an LLM: the caller's own words, first lines first, cut at the word limit. Honest rather than
 * clever — it never states anything the caller did not say.
 */
export class ExtractiveSummarizer implements Summarizer {
  async summarize(request: SummaryRequest): Promise<Summary> {
    const maxWords = request.maxWords ?? 80;
    const caller = request.transcript.filter((l) => l.speaker === 'caller').map((l) => l.text);
    const lines = caller.length ? caller : request.transcript.map((l) => l.text);
    const text = lines.length ? `Caller said: ${lines.join(' ')}` : '';
    return { text: limitWords(text, maxWords), source: 'extractive' };
  }
}

export function limitWords(text: string, maxWords: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words.length <= maxWords ? words.join(' ') : `${words.slice(0, maxWords).join(' ')}…`;
}

export function createSummarizer(client?: ChatClient): Summarizer {
  return client ? new LlmSummarizer(client) : new ExtractiveSummarizer();
}

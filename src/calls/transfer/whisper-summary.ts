import type { Store } from '../../store/store.js';
import type { Summarizer } from '../../integrations/llm/summarizer.js';

export interface TranscriptLine {
  speaker: string;
  text: string;
}

/** Final transcript lines of a call from its `transcript` call events, in order. */
export async function transcriptOf(
  store: Store,
  callId: string | undefined,
  max = 200,
): Promise<TranscriptLine[]> {
  if (!callId) return [];
  const lines: TranscriptLine[] = [];
  for (let offset = 0; lines.length < max; offset += 500) {
    const page = await store.callEvents.list(callId, { limit: 500, offset });
    for (const e of page.items) {
      if (e.type !== 'transcript' || e.data.final === false || typeof e.data.text !== 'string') continue;
      lines.push({ speaker: String(e.data.speaker ?? 'caller'), text: e.data.text });
    }
    if (offset + page.items.length >= page.total) break;
  }
  return lines.slice(-max);
}

function spoken(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The deterministic summary used when no summarizer service exists: who calls, the collected fields,
 * and the caller's last lines. Short, because the target hears it read aloud.
 */
export function templateSummary(input: {
  caller?: string;
  collected: Record<string, unknown>;
  transcript: TranscriptLine[];
}): string {
  const parts: string[] = [];
  parts.push(input.caller ? `Transferred call from ${input.caller}.` : 'Transferred call.');
  const fields = Object.entries(input.collected)
    .filter(([, v]) => spoken(v) !== '')
    .slice(0, 8)
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${spoken(v)}`);
  if (fields.length) parts.push(`${fields.join('; ')}.`);
  const said = input.transcript
    .filter((l) => l.speaker === 'caller')
    .slice(-2)
    .map((l) => l.text.trim());
  if (said.length) parts.push(`The caller said: ${said.join(' ')}`);
  return parts.join(' ').slice(0, 600);
}

/**
 * The whisper text: the summarizer service's LLM summary when there is one, else the template summary
 * (its extractive fallback repeats the caller's words only; the template adds the collected fields).
 */
export async function summaryWhisper(input: {
  store: Store;
  callId?: string;
  caller?: string;
  collected: Record<string, unknown>;
  summarizer?: Summarizer;
  signal?: AbortSignal;
}): Promise<string> {
  const transcript = await transcriptOf(input.store, input.callId);
  if (input.summarizer) {
    try {
      const summary = await input.summarizer.summarize({
        transcript: transcript.map((l) => ({
          speaker: l.speaker === 'agent' ? 'agent' : 'caller',
          text: l.text,
        })),
        purpose: 'whisper',
        maxWords: 30,
        ...(input.signal ? { signal: input.signal } : {}),
      });
      // Only a written summary beats the template, which also names the collected fields.
      if (summary.source === 'llm' && summary.text.trim()) return summary.text.trim();
    } catch {
      // A failing summarizer must not cost the transfer: the template summary still says enough.
    }
  }
  return templateSummary({
    ...(input.caller ? { caller: input.caller } : {}),
    collected: input.collected,
    transcript,
  });
}

import type { Store } from '../../store/store.js';

export interface TranscriptLine {
  speaker: 'caller' | 'agent';
  text: string;
}

/** Safety bound: a call's history is read a page at a time and never beyond this many events. */
const MAX_EVENTS = 20000;

/** The final transcript lines of a call (`call_events` of type `transcript`), in order. */
export function callTranscript(store: Store, callId: string): TranscriptLine[] {
  const lines: TranscriptLine[] = [];
  for (let offset = 0; offset < MAX_EVENTS; offset += 500) {
    const page = store.callEvents.list(callId, { limit: 500, offset });
    for (const e of page.items) {
      if (e.type !== 'transcript' || e.data.final === false) continue;
      const text = typeof e.data.text === 'string' ? e.data.text.trim() : '';
      if (text) lines.push({ speaker: e.data.speaker === 'agent' ? 'agent' : 'caller', text });
    }
    if (offset + page.items.length >= page.total) break;
  }
  return lines;
}

/** `Caller: …` / `Agent: …` lines, the form prompts and summaries use. */
export function transcriptText(lines: readonly TranscriptLine[]): string {
  return lines.map((l) => `${l.speaker === 'agent' ? 'Agent' : 'Caller'}: ${l.text}`).join('\n');
}

/** Parses `Caller:`/`Agent:` prefixed text back into lines (unprefixed lines count as the caller's). */
export function parseTranscript(text: string): TranscriptLine[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(caller|agent|customer|user|assistant|bot)\s*:\s*(.*)$/i.exec(l);
      if (!m) return { speaker: 'caller' as const, text: l };
      const who = (m[1] as string).toLowerCase();
      const speaker = who === 'agent' || who === 'assistant' || who === 'bot' ? 'agent' : 'caller';
      return { speaker, text: (m[2] as string).trim() } as TranscriptLine;
    });
}

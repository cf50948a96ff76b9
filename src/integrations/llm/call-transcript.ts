import type { Store } from '../../store/store.js';
import { transcriptOf } from '../call-snapshot.js';

export interface TranscriptLine {
  speaker: 'caller' | 'agent';
  text: string;
}

/** The final transcript lines of a call, speakers narrowed to caller/agent and empty lines dropped. */
export async function callTranscript(store: Store, callId: string): Promise<TranscriptLine[]> {
  return (await transcriptOf(store, callId))
    .map((l): TranscriptLine => ({
      speaker: l.speaker === 'agent' ? 'agent' : 'caller',
      text: l.text.trim(),
    }))
    .filter((l) => l.text);
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

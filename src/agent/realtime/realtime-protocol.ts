import alawmulaw from 'alawmulaw';
import type { ToolDescription } from '../../actions/tool-description.js';
import { Resampler } from '../../speech/audio/resampler.js';
import type { RealtimeAgentConfig } from './realtime-config.js';

/**
 * The OpenAI Realtime protocol's wire shapes that the bridge uses (JSON events over one WebSocket),
 * and the audio conversions between the call (8 kHz 16-bit PCM) and the session's format.
 * Server events are read by the beta names; the GA names (`response.output_audio.*`) map onto them.
 */
export type AudioFormat = 'g711_ulaw' | 'pcm16';

/** pcm16 is 24 kHz mono little-endian; G.711 is the telephone's 8 kHz. */
export function formatRate(format: AudioFormat): number {
  return format === 'pcm16' ? 24000 : 8000;
}

export interface SessionSettings {
  instructions: string;
  tools: ToolDescription[];
  config: RealtimeAgentConfig;
}

/** The `session.update` event (beta shape: formats and transcription at the session's top level). */
export function sessionUpdate(s: SessionSettings): Record<string, unknown> {
  const c = s.config;
  const format = c.audio_format ?? 'g711_ulaw';
  const td = c.turn_detection ?? {};
  return {
    type: 'session.update',
    session: {
      modalities: ['audio', 'text'],
      instructions: s.instructions,
      ...(c.voice ? { voice: c.voice } : {}),
      input_audio_format: format,
      output_audio_format: format,
      ...(c.transcription_model ? { input_audio_transcription: { model: c.transcription_model } } : {}),
      turn_detection: {
        type: 'server_vad',
        threshold: td.threshold ?? 0.5,
        prefix_padding_ms: td.prefix_padding_ms ?? 300,
        silence_duration_ms: td.silence_duration_ms ?? 500,
      },
      tools: s.tools.map((t) => ({
        type: 'function',
        name: t.name,
        description: t.description,
        parameters: t.parameters,
      })),
      tool_choice: 'auto',
      ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    },
  };
}

/** GA event names → the beta names the bridge reads. */
const GA_NAMES: Record<string, string> = {
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
};

export interface ServerEvent {
  type: string;
  [field: string]: unknown;
}

/** Parses one server message; undefined when it is not a JSON event. */
export function parseServerEvent(data: string): ServerEvent | undefined {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string')
    return undefined;
  const e = event as ServerEvent;
  const beta = GA_NAMES[e.type];
  return beta ? { ...e, type: beta } : e;
}

export function str(event: ServerEvent, field: string): string {
  const v = event[field];
  return typeof v === 'string' ? v : '';
}

/** Encodes the caller's 8 kHz frames into the session's input format. */
export class CallerAudioEncoder {
  private readonly upsampler: Resampler | undefined;

  constructor(readonly format: AudioFormat) {
    this.upsampler = format === 'pcm16' ? new Resampler(8000, 24000) : undefined;
  }

  /** Base64 of the audio for one `input_audio_buffer.append`. */
  encode(pcm8k: Int16Array): string {
    if (!this.upsampler) return Buffer.from(alawmulaw.mulaw.encode(pcm8k)).toString('base64');
    return pcm16Bytes(this.upsampler.process(pcm8k)).toString('base64');
  }
}

/** Decodes one audio delta (base64) into PCM at the format's rate. */
export function decodeAudioDelta(format: AudioFormat, base64: string): Int16Array {
  const bytes = Buffer.from(base64, 'base64');
  if (format === 'g711_ulaw') return alawmulaw.mulaw.decode(new Uint8Array(bytes));
  const samples = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
  return samples;
}

/** 16-bit little-endian bytes of `samples` (whatever the host's byte order). */
export function pcm16Bytes(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] as number, i * 2);
  return out;
}

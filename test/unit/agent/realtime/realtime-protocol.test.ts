import { describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import {
  CallerAudioEncoder,
  decodeAudioDelta,
  parseServerEvent,
  sessionUpdate,
} from '../../../../src/agent/realtime/realtime-protocol.js';
import { parseRealtimeConfig } from '../../../../src/agent/realtime/realtime-config.js';
import { AudioQueue } from '../../../../src/agent/realtime/audio-queue.js';

const config = parseRealtimeConfig({
  model: 'gpt-realtime',
  instructions: 'x',
  voice: 'alloy',
  turn_detection: { threshold: 0.7, silence_duration_ms: 600 },
  temperature: 0.8,
});

describe('realtime protocol', () => {
  it('maps the config onto session.update with function tools', () => {
    const update = sessionUpdate({
      instructions: 'Be kind.',
      tools: [
        { name: 'end_call', description: 'Ends the call', parameters: { type: 'object', properties: {} } },
      ],
      config,
    });
    expect(update).toEqual({
      type: 'session.update',
      session: {
        modalities: ['audio', 'text'],
        instructions: 'Be kind.',
        voice: 'alloy',
        input_audio_format: 'g711_ulaw',
        output_audio_format: 'g711_ulaw',
        turn_detection: {
          type: 'server_vad',
          threshold: 0.7,
          prefix_padding_ms: 300,
          silence_duration_ms: 600,
        },
        tools: [
          {
            type: 'function',
            name: 'end_call',
            description: 'Ends the call',
            parameters: { type: 'object', properties: {} },
          },
        ],
        tool_choice: 'auto',
        temperature: 0.8,
      },
    });
  });

  it('reads GA event names as the beta ones and skips what is not an event', () => {
    expect(parseServerEvent('{"type":"response.output_audio.delta","delta":"AA=="}')).toEqual({
      type: 'response.audio.delta',
      delta: 'AA==',
    });
    expect(parseServerEvent('{"type":"response.output_audio_transcript.done"}')?.type).toBe(
      'response.audio_transcript.done',
    );
    expect(parseServerEvent('not json')).toBeUndefined();
    expect(parseServerEvent('{"no":"type"}')).toBeUndefined();
  });

  it('encodes caller audio as G.711 µ-law, one byte per sample', () => {
    const pcm = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const bytes = Buffer.from(new CallerAudioEncoder('g711_ulaw').encode(pcm), 'base64');
    expect(bytes.length).toBe(800);
    expect(Buffer.from(alawmulaw.mulaw.encode(pcm)).equals(bytes)).toBe(true);
  });

  it('upsamples caller audio to 24 kHz little-endian pcm16', () => {
    const enc = new CallerAudioEncoder('pcm16');
    const pcm = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    enc.encode(pcm);
    const bytes = Buffer.from(enc.encode(pcm), 'base64');
    expect(bytes.length).toBe(4800);
  });

  it('decodes audio deltas in either format', () => {
    const pcm = Int16Array.from([0, 1000, -1000, 32000, -32000]);
    const le = Buffer.alloc(10);
    pcm.forEach((v, i) => le.writeInt16LE(v, i * 2));
    expect(Array.from(decodeAudioDelta('pcm16', le.toString('base64')))).toEqual(Array.from(pcm));
    const ulaw = Buffer.from(alawmulaw.mulaw.encode(pcm)).toString('base64');
    const back = decodeAudioDelta('g711_ulaw', ulaw);
    pcm.forEach((v, i) => expect(Math.abs((back[i] as number) - v)).toBeLessThan(Math.abs(v) / 16 + 8));
  });
});

describe('audio queue', () => {
  it('hands out what was buffered, then ends', async () => {
    const q = new AudioQueue(8000);
    q.push(new Int16Array(800));
    q.push(new Int16Array(0));
    setTimeout(() => {
      q.push(new Int16Array(400));
      q.end();
      q.push(new Int16Array(400));
    }, 10);
    const got: number[] = [];
    for await (const segment of q.segments())
      for await (const chunk of segment) got.push(chunk.samples.length);
    expect(got).toEqual([800, 400]);
    expect(q.receivedMs).toBe(150);
  });
});

/**
 * Acceptance flow, whole-call recording through the real server on a given backend: a baresip caller whose microphone plays a
 * 440 Hz tone calls a scripted agent that records its calls (consent prompt first), speaks with
 * espeak-ng, pauses the recording while it asks for a card number, resumes and hangs up. The
 * two-channel WAV is uploaded to a local S3-compatible server (s3rver) under the key template, the
 * recording-ready event reaches a webhook receiver on loopback (and fires an attached webhook action),
 * and its signed link fetches the file without a key. Run by call-recording.test.ts (embedded) and
 * test/freeswitch/call-recording.live.ts (live daemons). Ports from the block at `options.base`: baresip
 * +10, s3rver +70, admin API +90 (embedded RTP +100 .. +499).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../../helpers/baresip.js';
import { tone, writeWav } from '../../../helpers/audio.js';
import { startHttpReceiver, type HttpReceiver } from '../../../helpers/http-receiver.js';
import { S3RVER_KEY, startS3, type TestS3 } from '../../../helpers/s3-server.js';
import { readWav, rms, toneShare } from '../../telephony/audio-analysis.js';
import { verifyWebhook } from '../../../../src/integrations/webhooks/standard-webhooks.js';
import {
  startAcceptanceServer,
  until,
  type AcceptanceServer,
  type FlowOptions,
} from './acceptance-server.js';

const NUMBER = '+14155550501';
const CONSENT = 'This call is recorded for quality.';
const SECRET = 'whsec_' + Buffer.from('recording-test-secret-0123456789').toString('base64');
process.env.CALLWRIGHT_TEST_S3_ID = S3RVER_KEY;
process.env.CALLWRIGHT_TEST_S3_SECRET = S3RVER_KEY;

/** Channel `c` (0 = left, 1 = right) of a 16-bit stereo WAV, with its format checked. */
function channel(wav: Buffer, c: 0 | 1): Int16Array {
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.readUInt16LE(22)).toBe(2);
  expect(wav.readUInt32LE(24)).toBe(8000);
  expect(wav.readUInt16LE(34)).toBe(16);
  const data = wav.readUInt32LE(40);
  expect(data).toBe(wav.length - 44);
  const out = new Int16Array(data / 4);
  for (let i = 0; i < out.length; i++) out[i] = wav.readInt16LE(44 + i * 4 + c * 2);
  return out;
}

const span = (pcm: Int16Array, fromMs: number, toMs: number): Int16Array =>
  pcm.subarray(Math.max(0, Math.round(fromMs * 8)), Math.min(pcm.length, Math.round(toMs * 8)));

/**
 * Median share of 440 Hz over 100 ms blocks: one Goertzel over seconds is so narrow that a frame the
 * jitter buffer dropped (a phase jump) lowers it; per block it measures what is there.
 */
function share440(pcm: Int16Array): number {
  const shares: number[] = [];
  for (let at = 0; at + 800 <= pcm.length; at += 800) shares.push(toneShare(pcm.subarray(at, at + 800), 440));
  shares.sort((a, b) => a - b);
  return shares[Math.floor(shares.length / 2)] ?? 0;
}

const peak = (pcm: Int16Array): number => pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** The recording acceptance test on `options.backend`; `maskedPeak`: the loudest sample a paused span may hold. */
export function callRecordingFlow(options: FlowOptions & { maskedPeak?: number }): void {
  const BASE = options.base;
  let app: AcceptanceServer;
  let s3: TestS3;
  let hooks: HttpReceiver;

  beforeAll(async () => {
    s3 = await startS3(BASE + 70);
    hooks = await startHttpReceiver();
    app = await startAcceptanceServer(
      BASE,
      {
        http: { allow_private: true },
        recording: {
          storage: 's3',
          key_template: 'recordings/{{yyyy}}/{{mm}}/{{dd}}/{{call_id}}.wav',
          webhook_url: `${hooks.url}/recording-events`,
          webhook_secret: SECRET,
          s3: {
            endpoint: s3.endpoint,
            region: 'us-east-1',
            bucket: s3.bucket,
            access_key_id_env: 'CALLWRIGHT_TEST_S3_ID',
            secret_access_key_env: 'CALLWRIGHT_TEST_S3_SECRET',
            force_path_style: true,
          },
        },
      },
      options.backend(),
    );
    await app.setupAgent({
      name: 'recorded',
      number: NUMBER,
      speech: { recognizer: 'none' },
      steps: [
        { say: 'Hello and thank you for calling. We are testing the recording of this call today.' },
        { action: 'pause_card' },
        { say: 'Please read your card number now, slowly and clearly, digit by digit.' },
        { action: 'resume_card' },
        { say: 'Thank you very much. Goodbye.' },
        { hangup: true },
      ],
      actions: [
        { name: 'pause_card', type: 'pause-recording', config: {} },
        { name: 'resume_card', type: 'resume-recording', config: {} },
        {
          name: 'notify_recording',
          type: 'webhook',
          config: { url: `${hooks.url}/action`, event: 'recording.ready' },
        },
      ],
      attachments: [
        { action: 'pause_card', stage: 'during', triggers: [{ kind: 'tool' }] },
        { action: 'resume_card', stage: 'during', triggers: [{ kind: 'tool' }] },
        {
          action: 'notify_recording',
          stage: 'after',
          triggers: [{ kind: 'event', event: 'recording-ready' }],
        },
      ],
    });
    const agent = await app.api('GET', '/agents?limit=100');
    const id = String(
      (agent.body.items as Array<Record<string, unknown>>).find((a) => a.name === 'recorded')?.id,
    );
    const patched = await app.api('PATCH', `/agents/${id}`, {
      recording: { enabled: true, consent_prompt: CONSENT },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await hooks?.close();
    await s3?.close();
  });

  describe(`acceptance (${options.label}): whole-call recording, S3 storage, recording-ready`, () => {
    it('records caller and agent in two channels after the consent prompt, silences the paused span, stores it in S3 and announces it', async () => {
      const source = path.join(app.dir, 'tone440.wav');
      writeWav(source, tone(8000, 60, 440, 0.3), { sampleRate: 8000 });
      const caller = new Baresip({ sipPort: BASE + 10, sourceWav: source, user: 'toner' });
      let callId: string;
      let heard: Int16Array;
      try {
        await caller.start();
        caller.command('dial', `sip:${NUMBER}@${app.sipTarget}`);
        await caller.waitFor('CALL_ESTABLISHED', 15_000);
        callId = (await app.callTo(NUMBER)).id;
        await caller.waitFor('CALL_CLOSED', 60_000);
        await app.callWhen(callId, (c) => c.state === 'ended');
        const dec = caller.recordings().find((f) => f.endsWith('-dec.wav'));
        expect(dec, caller.recordings().join(', ')).toBeDefined();
        heard = readWav(dec as string);
      } finally {
        await caller.stop();
      }

      // Stored and announced.
      const row = await app.callWhen(callId, (c) => c.recording_status === 'ready', 30_000);
      const now = new Date(row.started_at);
      const key = `recordings/${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}/${callId}.wav`;
      expect(row.recording_path).toBe(`s3://${s3.bucket}/${key}`);
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
      });
      const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      const wav = Buffer.from(
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      client.destroy();
      // The temp file is gone once uploaded.
      expect(() => readFileSync(path.join(app.dir, 'recordings', 'in-progress', `${callId}.wav`))).toThrow();

      const left = channel(wav, 0);
      const right = channel(wav, 1);
      const durationMs = left.length / 8;
      expect(row.recording_duration_ms).toBeGreaterThan(3000);
      expect(Math.abs((row.recording_duration_ms ?? 0) - durationMs)).toBeLessThan(100);

      const events = await app.events(callId);
      const started = events.find((e) => e.type === 'recording-started')?.data;
      const paused = events.find((e) => e.type === 'recording-paused')?.data;
      const resumed = events.find((e) => e.type === 'recording-resumed')?.data;
      expect(started && paused && resumed, JSON.stringify(events.map((e) => e.type))).toBeTruthy();
      const pausedAt = Number(paused?.offset_ms);
      const resumedAt = Number(resumed?.offset_ms);
      expect(resumedAt - pausedAt).toBeGreaterThan(1500);

      // Before the pause: the caller's 440 Hz on the left, the agent's speech (not the tone) on the right.
      const before = [200, pausedAt - 200] as const;
      expect(share440(span(left, ...before))).toBeGreaterThan(0.5);
      expect(rms(span(right, ...before))).toBeGreaterThan(300);
      expect(share440(span(right, ...before))).toBeLessThan(0.2);
      // The paused span is silence in both channels, though the caller's tone and the agent's question went on.
      const pausedSpan = [pausedAt + 150, resumedAt - 150] as const;
      expect(peak(span(left, ...pausedSpan))).toBeLessThanOrEqual(options.maskedPeak ?? 0);
      expect(peak(span(right, ...pausedSpan))).toBeLessThanOrEqual(options.maskedPeak ?? 0);
      // Recorded again after it resumed.
      expect(share440(span(left, resumedAt + 200, durationMs - 200))).toBeGreaterThan(0.5);
      expect(rms(span(right, resumedAt + 200, durationMs - 200))).toBeGreaterThan(300);

      // The consent prompt was said (and heard) first; the recording started after it.
      const lines = events.filter((e) => e.type === 'transcript' && e.data.speaker === 'agent');
      expect(lines[0]?.data.text).toBe(CONSENT);
      const consentEnd = Number(lines[0]?.data.end_ms);
      expect(Number(started?.at_ms)).toBeGreaterThanOrEqual(consentEnd);
      expect(consentEnd).toBeGreaterThan(1000);
      // The caller's own recording starts with it: speech (not silence) in its first second.
      expect(rms(span(heard, 100, Math.min(consentEnd, 1500)))).toBeGreaterThan(300);
      // The right channel starts with the greeting, not the consent prompt: it is no longer than the
      // call minus the prompt.
      expect(durationMs).toBeLessThan(heard.length / 8 - consentEnd + 500);

      // recording-ready: to the configured webhook (signed) and to the attachment it triggers.
      const hook = await until(() => hooks.requests.find((r) => r.url === '/recording-events'));
      expect(
        verifyWebhook(
          SECRET,
          {
            id: String(hook.headers['webhook-id']),
            timestamp: String(hook.headers['webhook-timestamp']),
            signature: String(hook.headers['webhook-signature']),
          },
          hook.body,
          Math.floor(Date.now() / 1000),
        ),
      ).toBe(true);
      const event = JSON.parse(hook.body) as { type: string; data: Record<string, unknown> };
      expect(event.type).toBe('recording-ready');
      expect(event.data).toMatchObject({ call_id: callId, channels: 2, sample_rate: 8000 });
      expect(event.data.duration_ms).toBe(row.recording_duration_ms);
      const action = await until(() => hooks.requests.find((r) => r.url === '/action'));
      const actionBody = JSON.parse(action.body) as {
        type: string;
        data: { recording?: Record<string, unknown> };
      };
      expect(actionBody.type).toBe('recording.ready');
      expect(actionBody.data.recording).toMatchObject({ call_id: callId, channels: 2 });

      // The signed link fetches the same file with no key; the plain link needs the key.
      const signed = await fetch(String(event.data.url));
      expect(
        signed.status,
        `${String(event.data.url)}: ${signed.status === 200 ? '' : await signed.clone().text()}`,
      ).toBe(200);
      expect(signed.headers.get('content-type')).toBe('audio/wav');
      expect(Buffer.from(await signed.arrayBuffer()).equals(wav)).toBe(true);
      expect((await fetch(String(event.data.api_url))).status).toBe(401);
      const withKey = await fetch(String(event.data.api_url), {
        headers: { authorization: `Bearer ${app.apiKey}` },
      });
      expect(withKey.status).toBe(200);
      expect((await withKey.arrayBuffer()).byteLength).toBe(wav.length);
    }, 120_000);
  });
}

/**
 * Acceptance flow with real audio, through the real server: the caller (baresip) plays an espeak-ng
 * recording; the offline recogniser (pocketsphinx) hears it; an intent trigger fires a warm transfer
 * that a second baresip answers; a spoken "yes" or "no" to a `gather input: speech` takes its branch.
 * Run by spoken-intent.test.ts (embedded) and test/freeswitch/call-flows.live.ts (live drachtio-server +
 * FreeSWITCH), each in its own port block.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../../helpers/baresip.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
  type FlowOptions,
} from './acceptance-server.js';

/** `text` spoken by espeak-ng after `leadS` seconds of silence, then `tailS` of silence, 8 kHz mono WAV. */
export function spokenWav(dir: string, name: string, text: string, leadS: number, tailS: number): string {
  const raw = path.join(dir, `${name}.espeak.wav`);
  const out = path.join(dir, `${name}.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', out, 'pad', String(leadS), String(tailS)]);
  return out;
}

export function spokenIntentFlow(options: FlowOptions): void {
  const BASE = options.base;
  describe(`acceptance (${options.label}): the agent hears the caller (pocketsphinx, real audio)`, () => {
    let app: AcceptanceServer;
    let peers: Baresip[] = [];

    beforeAll(async () => {
      app = await startAcceptanceServer(BASE, { speech: { recognizer: 'pocketsphinx' } }, options.backend());
      await app.setupAgent({
        name: 'listener',
        number: '+14155550301',
        targets: { desk: { type: 'sip', uri: `sip:desk@127.0.0.1:${BASE + 60}` } },
        steps: [
          { say: 'Hello.' },
          // The agent keeps listening; the intent trigger (an attached action) does the transfer.
          { id: 'listen', gather: { input: 'speech', timeout_ms: 30000 } },
          { goto: 'listen' },
        ],
        actions: [
          {
            name: 'to_human',
            type: 'warm-transfer',
            config: { target: 'desk', whisper: 'A caller asked for a person.', ring_timeout_ms: 10000 },
          },
        ],
        attachments: [
          {
            action: 'to_human',
            stage: 'during',
            triggers: [{ kind: 'intent', phrases: ['speak to a human'], match: 'tolerant' }],
          },
        ],
      });
      await app.setupAgent({
        name: 'question',
        number: '+14155550302',
        steps: [
          { id: 'ask', gather: { input: 'speech', prompt: 'Shall we call you back?', timeout_ms: 20000 } },
          {
            branch: [
              { intent: ['yes'], goto: 'yes' },
              { intent: ['no'], goto: 'no' },
              { default: true, goto: 'none' },
            ],
          },
          { id: 'yes', collect: { answer: 'yes' } },
          { hangup: { say: 'We will call you back.' } },
          { id: 'no', collect: { answer: 'no' } },
          { hangup: { say: 'Goodbye.' } },
          { id: 'none', collect: { answer: 'none' } },
          { hangup: true },
        ],
      });
    });
    afterEach(async () => {
      for (const p of peers) await p.stop();
      peers = [];
    });
    afterAll(async () => app?.stop());

    async function dial(number: string, wav: string): Promise<{ callId: string; caller: Baresip }> {
      const caller = new Baresip({ sipPort: BASE + 10, sourceWav: wav, user: 'caller' });
      peers.push(caller);
      await caller.start();
      const before = new Set((await app.server.store.calls.list({ limit: 100 })).items.map((c) => c.id));
      caller.command('dial', `sip:${number}@${app.sipTarget}`);
      await caller.waitFor('CALL_ESTABLISHED', 15_000);
      const call = await until(async () =>
        (await app.server.store.calls.list({ limit: 100 })).items.find((c) => !before.has(c.id)),
      );
      return { callId: call.id, caller };
    }

    it('"I would like to speak to a human please" fires the intent trigger: a warm transfer the target answers', async () => {
      const wav = spokenWav(app.dir, 'human', 'I would like to speak to a human please', 2, 40);
      const target = new Baresip({ sipPort: BASE + 60, user: 'desk' });
      peers.push(target);
      await target.start();
      const { callId, caller } = await dial('+14155550301', wav);
      await target.waitFor('CALL_ESTABLISHED', 30_000).catch(async (err: Error) => {
        const events = await app.events(callId);
        throw new Error(
          `${err.message}; call events: ${JSON.stringify(events.map((e) => [e.type, e.data]))}`,
        );
      });
      const row = await app
        .callWhen(callId, (c) => c.state === 'handed-off', 30_000)
        .catch(async (err: Error) => {
          const events = await app.events(callId);
          throw new Error(
            `${err.message}; call events: ${JSON.stringify(events.map((e) => [e.type, e.data]))}`,
          );
        });
      expect(row.transfer).toMatchObject({ kind: 'warm', result: 'connected' });
      const runs = await app.runs(callId);
      expect(runs.map((r) => [r.action_type, r.status])).toEqual([['warm-transfer', 'succeeded']]);
      expect(runs[0]?.trigger).toMatchObject({ kind: 'intent', phrase: 'speak to a human' });
      const events = await app.events(callId);
      const heard = events.filter((e) => e.type === 'transcript' && e.data.speaker === 'caller');
      expect(heard.length).toBeGreaterThan(0);
      const line = heard[0]?.data ?? {};
      expect(String(line.text)).toMatch(/speak to a human/);
      expect(line).toMatchObject({ final: true, provider: 'pocketsphinx' });
      // Offsets in the call: the speech starts about 2 s after the answer.
      expect(Number(line.start_ms)).toBeGreaterThan(1000);
      expect(Number(line.end_ms)).toBeGreaterThan(Number(line.start_ms));
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      await app.callWhen(callId, (c) => c.state === 'ended');
    }, 90_000);

    for (const answer of ['yes', 'no'] as const) {
      it(`a spoken "${answer}" to a speech gather takes the ${answer} branch`, async () => {
        const wav = spokenWav(app.dir, answer, answer, 3, 20);
        const { callId, caller } = await dial('+14155550302', wav);
        const row = await app.callWhen(callId, (c) => c.state === 'ended', 40_000);
        expect(row.collected).toMatchObject({ answer });
        const events = await app.events(callId);
        const gather = events.find((e) => e.type === 'gather');
        expect(gather?.data).toMatchObject({ input: 'speech' });
        await caller.waitFor('CALL_CLOSED', 10_000);
        await sleep(100);
      }, 60_000);
    }
  });
}

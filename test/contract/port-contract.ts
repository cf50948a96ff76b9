/**
 * The telephony port's contract: ONE table of cases that drive `Telephony`, `InboundCall` and
 * `CallLeg` and expect the same typed outcomes from every implementation. Each implementation runs it
 * through `describePortContract(label, setup)` with a rig that puts a far end of its kind behind the
 * port: sipp on loopback (embedded backend, live drachtio + FreeSWITCH), the drachtio/fsmrf doubles
 * (freeswitch backend in CI) or the in-process fake. A case a rig cannot express is listed in
 * `notApplicable` with the reason and shows up as a skipped test saying so; it is never dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LegEndedError,
  type CallLeg,
  type DialRequest,
  type DtmfEvent,
  type InboundCall,
  type PcmChunk,
  type Telephony,
} from '../../src/telephony/port.js';

/** How the far end of a call we place behaves. Each one is a sipp UAS scenario in sipp-scenarios/. */
export type CalleeScript =
  | 'answer' // uas-answer-wait-bye.xml: 180, 200, waits for our BYE
  | 'busy-486' // uas-busy-486.xml
  | 'unavailable-480' // uas-unavailable-480.xml
  | 'decline-603' // uas-decline-603.xml
  | 'ring-forever' // uas-ring-no-answer.xml: 180, then only our CANCEL ends it (487)
  | 'silent' // nobody there: no response at all (Timer B)
  | 'expect-info-dtmf-42' // uas-expect-dtmf-info.xml: answers, checks INFO Signal=4 then Signal=2
  | 'refer-notify-200' // uas-refer-accept-notify-200.xml: 202, NOTIFY 100, NOTIFY 200
  | 'refer-reject-603' // uas-refer-reject-603.xml
  | 'refer-reject-408' // uas-refer-reject-408.xml
  | 'refer-notify-486' // uas-refer-accept-notify-486.xml: 202, NOTIFY 486
  | 'refer-no-notify'; // uas-refer-accept-no-notify.xml: 202 and silence

/** How the far end of a call into the port behaves. Each one is a sipp UAC scenario in sipp-scenarios/. */
export type CallerScript =
  | 'expect-bye' // uac-invite-expect-server-bye.xml: waits for our BYE
  | 'expect-reject-486' // uac-invite-expect-486.xml
  | 'cancel-while-ringing' // uac-invite-cancel-while-ringing.xml: CANCEL after our 180
  | 'hangs-up' // uac-invite-answer-hangup.xml: BYE after 1 s
  | 'sends-info-dtmf' // uac-invite-dtmf-info.xml: INFO dtmf-relay 5, INFO dtmf 7, then BYE
  | 'sends-rfc2833-dtmf'; // uac-invite-dtmf-rfc2833.xml: RFC 4733 digit 1, then BYE

export interface FarEnd {
  /**
   * The port's leg to this far end exists. A rig whose far end is scripted from the test side (the
   * doubles, the fake) starts acting here; sipp acts by itself and ignores it.
   */
  connected(leg: CallLeg): void;
  /** Resolves once the far end has done and seen all its script says; rejects saying what went wrong. */
  finished(): Promise<void>;
}

export interface PortRig {
  readonly telephony: Telephony;
  /** A far end that a dial to `target` reaches. */
  callee(script: CalleeScript): Promise<{ target: string; far: FarEnd }>;
  /** A far end that calls in; resolves with the InboundCall the port's handler got. */
  caller(script: CallerScript): Promise<{ call: InboundCall; far: FarEnd }>;
  /** An absolute WAV path the implementation may record to (the shared folder for FreeSWITCH). */
  recordPath(name: string): string;
  stop(): Promise<void>;
}

export type CaseName =
  | 'inbound-answer'
  | 'inbound-reject'
  | 'inbound-cancelled'
  | 'dial-answered'
  | 'dial-busy'
  | 'dial-unavailable'
  | 'dial-no-answer'
  | 'dial-rejected'
  | 'dial-timeout'
  | 'play'
  | 'play-stopped'
  | 'play-stream'
  | 'play-stream-stopped'
  | 'listen'
  | 'record'
  | 'send-dtmf-info'
  | 'send-dtmf-rfc4733'
  | 'refer-completed'
  | 'refer-refused'
  | 'refer-failed'
  | 'refer-408'
  | 'refer-timeout'
  | 'bridge'
  | 'hold-unhold'
  | 'hangup-local-cause'
  | 'hangup-remote'
  | 'ended-leg-refuses'
  | 'dtmf-in-info'
  | 'dtmf-in-rfc4733';

export interface ContractCase {
  name: CaseName;
  title: string;
  /** What the port must give; compared with toEqual, or toMatchObject when `partial`. */
  expected: unknown;
  partial?: boolean;
  timeoutMs?: number;
  act(rig: PortRig): Promise<unknown>;
}

async function dialled(
  rig: PortRig,
  script: CalleeScript,
  request: Partial<DialRequest> = {},
): Promise<{ leg: CallLeg; far: FarEnd }> {
  const { target, far } = await rig.callee(script);
  const outcome = await rig.telephony.dial({ target, ...request });
  if (outcome.outcome !== 'answered') {
    await far.finished().catch(() => undefined);
    throw new Error(`dial to ${target}: expected answered, got ${JSON.stringify(outcome)}`);
  }
  far.connected(outcome.leg);
  return { leg: outcome.leg, far };
}

/** Dials a callee that answers or fails as `script` says and returns the outcome (without the leg). */
async function dialOnly(rig: PortRig, script: CalleeScript, request: Partial<DialRequest> = {}) {
  const { target, far } = await rig.callee(script);
  const outcome = await rig.telephony.dial({ target, ...request });
  if (outcome.outcome === 'answered') {
    await outcome.leg.hangup();
    await far.finished().catch(() => undefined);
    return { outcome: 'answered' };
  }
  await far.finished();
  return outcome;
}

/** Runs `body` on a leg to an answering callee, then hangs up and waits for the far end to finish. */
async function onLeg<T>(rig: PortRig, script: CalleeScript, body: (leg: CallLeg) => Promise<T>): Promise<T> {
  const { leg, far } = await dialled(rig, script);
  try {
    return await body(leg);
  } finally {
    await leg.hangup();
    await far.finished();
  }
}

async function referOn(rig: PortRig, script: CalleeScript, notifyTimeoutMs = 1000) {
  return onLeg(rig, script, async (leg) => {
    const progress: number[] = [];
    leg.on('refer-progress', (p) => progress.push(p.status));
    const outcome = await leg.refer('sip:agent@127.0.0.1:9', { notifyTimeoutMs });
    return { outcome, progress };
  });
}

/** Answers a caller and collects the digits it sends until it hangs up. */
async function digitsIn(rig: PortRig, script: CallerScript): Promise<DtmfEvent[]> {
  const { call, far } = await rig.caller(script);
  const leg = await call.answer();
  const digits: DtmfEvent[] = [];
  leg.on('dtmf', (d) => digits.push({ digit: d.digit, method: d.method }));
  far.connected(leg);
  await leg.ended;
  await far.finished();
  return digits;
}

/** Stream segments of a quiet 440 Hz tone, one per rate, each `ms` long, in 100 ms chunks. */
async function* segments(rates: number[], ms: number): AsyncGenerator<AsyncIterable<PcmChunk>> {
  for (const rate of rates) {
    yield (async function* (): AsyncGenerator<PcmChunk> {
      const total = Math.round((rate * ms) / 1000);
      const step = rate / 10;
      for (let at = 0; at < total; at += step) {
        const n = Math.min(step, total - at);
        const samples = Int16Array.from({ length: n }, (_, i) =>
          Math.round(3000 * Math.sin((2 * Math.PI * 440 * (at + i)) / rate)),
        );
        yield { samples, sampleRate: rate };
      }
    })();
  }
}

export const PORT_CASES: ContractCase[] = [
  {
    name: 'inbound-answer',
    title: 'inbound: answer gives an inbound leg; our hangup ends it local/normal',
    expected: { direction: 'inbound', ended: { by: 'local', cause: 'normal' } },
    async act(rig) {
      const { call, far } = await rig.caller('expect-bye');
      await call.ring();
      const leg = await call.answer();
      far.connected(leg);
      await leg.hangup();
      const ended = await leg.ended;
      await far.finished();
      return { direction: leg.info.direction, ended };
    },
  },
  {
    name: 'inbound-reject',
    title: 'inbound: reject(486) reaches the caller as 486',
    expected: 'rejected',
    async act(rig) {
      const { call, far } = await rig.caller('expect-reject-486');
      await call.reject(486);
      await far.finished();
      return 'rejected';
    },
  },
  {
    name: 'inbound-cancelled',
    title: 'inbound: a caller that gives up while ringing resolves `cancelled`',
    expected: 'cancelled',
    async act(rig) {
      const { call, far } = await rig.caller('cancel-while-ringing');
      await call.ring();
      await call.cancelled;
      await far.finished();
      return 'cancelled';
    },
  },
  {
    name: 'dial-answered',
    title: 'dial: answered gives an outbound leg, and when the 2xx came (between the INVITE and the outcome)',
    expected: { outcome: 'answered', direction: 'outbound', answeredAtDuringDial: true },
    async act(rig) {
      const { target, far } = await rig.callee('answer');
      const sent = Date.now();
      const outcome = await rig.telephony.dial({ target });
      const settled = Date.now();
      if (outcome.outcome !== 'answered') {
        await far.finished().catch(() => undefined);
        throw new Error(`dial to ${target}: expected answered, got ${JSON.stringify(outcome)}`);
      }
      far.connected(outcome.leg);
      try {
        const at = outcome.answeredAt.getTime();
        return {
          outcome: 'answered',
          direction: outcome.leg.info.direction,
          answeredAtDuringDial: at >= sent && at <= settled,
        };
      } finally {
        await outcome.leg.hangup();
        await far.finished();
      }
    },
  },
  {
    name: 'dial-busy',
    title: 'dial: 486 is busy(486)',
    expected: { outcome: 'busy', status: 486 },
    act: (rig) => dialOnly(rig, 'busy-486'),
  },
  {
    name: 'dial-unavailable',
    title: 'dial: 480 is no-answer(480)',
    expected: { outcome: 'no-answer', status: 480 },
    act: (rig) => dialOnly(rig, 'unavailable-480'),
  },
  {
    name: 'dial-no-answer',
    title: 'dial: ringing past the ring timeout is CANCELled: no-answer(487)',
    expected: { outcome: 'no-answer', status: 487 },
    act: (rig) => dialOnly(rig, 'ring-forever', { ringTimeoutMs: 1000 }),
  },
  {
    name: 'dial-rejected',
    title: 'dial: 603 is rejected(603)',
    expected: { outcome: 'rejected', status: 603 },
    partial: true,
    act: (rig) => dialOnly(rig, 'decline-603'),
  },
  {
    name: 'dial-timeout',
    title: 'dial: no response at all is timeout',
    expected: { outcome: 'timeout' },
    timeoutMs: 45_000,
    // A ring timeout past Timer B (32 s at T1 = 500 ms): the transaction gives up first, not us.
    act: (rig) => dialOnly(rig, 'silent', { ringTimeoutMs: 60_000 }),
  },
  {
    name: 'play',
    title: 'play: silence plays to the end: completed',
    expected: { status: 'completed' },
    partial: true,
    act: (rig) => onLeg(rig, 'answer', (leg) => leg.play({ kind: 'silence', durationMs: 300 })),
  },
  {
    name: 'play-stopped',
    title: 'play: stopPlayback ends a long play: interrupted',
    expected: { status: 'interrupted' },
    partial: true,
    act: (rig) =>
      onLeg(rig, 'answer', async (leg) => {
        const playing = leg.play({ kind: 'silence', durationMs: 20_000 });
        await new Promise((r) => setTimeout(r, 200));
        leg.stopPlayback();
        return playing;
      }),
  },
  {
    name: 'play-stream',
    title: 'play: a stream of two segments at other rates plays to the end: completed, its length sent',
    expected: { status: 'completed', lengthSent: true },
    timeoutMs: 30_000,
    act: (rig) =>
      onLeg(rig, 'answer', async (leg) => {
        // 400 ms at 16 kHz, then 400 ms at 24 kHz, in chunks.
        const outcome = await leg.play({ kind: 'stream', segments: segments([16000, 24000], 400) });
        return {
          status: outcome.status,
          lengthSent: outcome.durationMs >= 700 && outcome.durationMs <= 1000,
          durationMs: outcome.durationMs,
        };
      }),
    partial: true,
  },
  {
    name: 'play-stream-stopped',
    title: 'play: stopPlayback ends a stream part-way: interrupted, with what was sent',
    expected: { status: 'interrupted', partSent: true, producerClosed: true },
    partial: true,
    timeoutMs: 30_000,
    act: (rig) =>
      onLeg(rig, 'answer', async (leg) => {
        let producerClosed = false;
        async function* long(): AsyncGenerator<AsyncIterable<PcmChunk>> {
          try {
            yield* segments([8000], 2000);
            yield* segments([8000], 2000);
          } finally {
            producerClosed = true;
          }
        }
        const playing = leg.play({ kind: 'stream', segments: long() });
        await new Promise((r) => setTimeout(r, 800));
        leg.stopPlayback();
        const outcome = await playing;
        // The producer is closed once the player leaves it (at once, or at its next chunk).
        const until = Date.now() + 3000;
        while (!producerClosed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        return {
          status: outcome.status,
          partSent: outcome.durationMs > 0 && outcome.durationMs < 2000,
          producerClosed,
          durationMs: outcome.durationMs,
        };
      }),
  },
  {
    name: 'listen',
    title: 'listen: 20 ms frames of the far end at 8 kHz; the tap ends with the leg: hangup',
    expected: { sampleRate: 8000, framesOf160: true, stopped: { reason: 'hangup' } },
    partial: true,
    timeoutMs: 30_000,
    async act(rig) {
      const { leg, far } = await dialled(rig, 'answer');
      const sizes = new Set<number>();
      const tap = await leg.listen((frame) => sizes.add(frame.length));
      await new Promise((r) => setTimeout(r, 1000));
      await leg.hangup();
      await far.finished();
      const stopped = await tap.stopped;
      return { sampleRate: tap.sampleRate, framesOf160: [...sizes].every((n) => n === 160), stopped };
    },
  },
  {
    name: 'record',
    title: 'record: the length limit ends it: max-duration, at the path asked for',
    expected: { reason: 'max-duration' },
    partial: true,
    async act(rig) {
      const path = rig.recordPath('contract-record.wav');
      const outcome = await onLeg(rig, 'answer', (leg) => leg.record({ path, maxDurationMs: 1000 }));
      expect(outcome.path).toBe(path);
      return outcome;
    },
  },
  {
    name: 'send-dtmf-info',
    title: 'sendDtmf by INFO: the callee gets Signal=4 then Signal=2',
    expected: undefined,
    act: (rig) =>
      onLeg(rig, 'expect-info-dtmf-42', (leg) => leg.sendDtmf('42', { method: 'info', durationMs: 50 })),
  },
  {
    name: 'send-dtmf-rfc4733',
    title: 'sendDtmf by RFC 4733 resolves once the digits are sent',
    expected: undefined,
    act: (rig) => onLeg(rig, 'answer', (leg) => leg.sendDtmf('1#', { method: 'rfc4733', durationMs: 50 })),
  },
  {
    name: 'refer-completed',
    title: 'REFER: 202 then NOTIFY 100, 200: completed(200), both NOTIFYs reported',
    expected: { outcome: { outcome: 'completed', status: 200 }, progress: [100, 200] },
    act: (rig) => referOn(rig, 'refer-notify-200'),
  },
  {
    name: 'refer-refused',
    title: 'REFER answered 603: failed(refer, 603)',
    expected: { outcome: { outcome: 'failed', stage: 'refer', status: 603 }, progress: [] },
    partial: true,
    act: (rig) => referOn(rig, 'refer-reject-603'),
  },
  {
    name: 'refer-failed',
    title: 'REFER accepted, NOTIFY 486: failed(notify, 486)',
    expected: { outcome: { outcome: 'failed', stage: 'notify', status: 486 }, progress: [486] },
    partial: true,
    act: (rig) => referOn(rig, 'refer-notify-486'),
  },
  {
    name: 'refer-408',
    title: 'REFER answered 408: timeout(refer), as a REFER nobody answers',
    expected: { outcome: { outcome: 'timeout', stage: 'refer' }, progress: [] },
    act: (rig) => referOn(rig, 'refer-reject-408'),
  },
  {
    name: 'refer-timeout',
    title: 'REFER accepted, no NOTIFY in time: timeout(notify)',
    expected: { outcome: { outcome: 'timeout', stage: 'notify' }, progress: [] },
    act: (rig) => referOn(rig, 'refer-no-notify', 1000),
  },
  {
    name: 'bridge',
    title: 'bridge: two answered legs join and both stay up; unbridge leaves both up',
    expected: { bridged: [true, true], unbridged: [true, true] },
    async act(rig) {
      const a = await dialled(rig, 'answer');
      const b = await dialled(rig, 'answer');
      try {
        await a.leg.bridge(b.leg);
        const bridged = [a.leg.active, b.leg.active];
        await a.leg.unbridge();
        return { bridged, unbridged: [a.leg.active, b.leg.active] };
      } finally {
        await a.leg.hangup();
        await b.leg.hangup();
        await a.far.finished();
        await b.far.finished();
      }
    },
  },
  {
    name: 'hold-unhold',
    title: 'hold then unhold: the leg stays up',
    expected: true,
    act: (rig) =>
      onLeg(rig, 'answer', async (leg) => {
        await leg.hold({ kind: 'tone', frequencies: [440], durationMs: 1000 });
        await new Promise((r) => setTimeout(r, 200));
        await leg.unhold();
        return leg.active;
      }),
  },
  {
    name: 'hangup-local-cause',
    title: 'hangup(cause): ended says local and that cause; active is false',
    expected: { ended: { by: 'local', cause: 'transferred' }, active: false },
    async act(rig) {
      const { leg, far } = await dialled(rig, 'answer');
      const events: unknown[] = [];
      leg.on('hangup', (e) => events.push(e));
      await leg.hangup('transferred');
      const ended = await leg.ended;
      await far.finished();
      expect(events).toEqual([ended]);
      return { ended, active: leg.active };
    },
  },
  {
    name: 'hangup-remote',
    title: 'the far end hangs up: ended says remote/normal',
    expected: { by: 'remote', cause: 'normal' },
    async act(rig) {
      const { call, far } = await rig.caller('hangs-up');
      const leg = await call.answer();
      far.connected(leg);
      const ended = await leg.ended;
      await far.finished();
      return ended;
    },
  },
  {
    name: 'ended-leg-refuses',
    title: 'an ended leg refuses play, record, sendDtmf, refer with LegEndedError',
    expected: ['LegEndedError', 'LegEndedError', 'LegEndedError', 'LegEndedError'],
    async act(rig) {
      const { leg, far } = await dialled(rig, 'answer');
      await leg.hangup();
      await far.finished();
      const attempts: Array<() => Promise<unknown>> = [
        () => leg.play({ kind: 'silence', durationMs: 10 }),
        () => leg.record({ path: rig.recordPath('ended.wav'), maxDurationMs: 100 }),
        () => leg.sendDtmf('1'),
        () => leg.refer('sip:agent@127.0.0.1:9'),
      ];
      const names: string[] = [];
      for (const attempt of attempts) {
        try {
          await attempt();
          names.push('resolved');
        } catch (err) {
          names.push(err instanceof LegEndedError ? 'LegEndedError' : String(err));
        }
      }
      return names;
    },
  },
  {
    name: 'dtmf-in-info',
    title:
      'DTMF in by INFO (application/dtmf-relay, then application/dtmf): reported as dtmf events, method info',
    expected: [
      { digit: '5', method: 'info' },
      { digit: '7', method: 'info' },
    ],
    act: (rig) => digitsIn(rig, 'sends-info-dtmf'),
  },
  {
    name: 'dtmf-in-rfc4733',
    title: 'DTMF in by RFC 4733: reported as a dtmf event, method rfc4733',
    expected: [{ digit: '1', method: 'rfc4733' }],
    act: (rig) => digitsIn(rig, 'sends-rfc2833-dtmf'),
  },
];

export interface ContractSetup {
  /** Builds and starts the rig (once per file). */
  rig(): Promise<PortRig>;
  /** Cases this rig cannot express, each with the reason; reported as skipped tests naming it. */
  notApplicable?: Partial<Record<CaseName, string>>;
  /** Set when the whole rig cannot run here (e.g. no live daemons); every case is skipped saying why. */
  unavailable?: string;
}

/** Runs every case of PORT_CASES against one implementation of the port. */
export function describePortContract(label: string, setup: ContractSetup): void {
  describe.skipIf(setup.unavailable !== undefined)(`telephony port contract: ${label}`, () => {
    let rig: PortRig | undefined;
    beforeAll(async () => {
      rig = await setup.rig();
    }, 60_000);
    afterAll(async () => rig?.stop());

    for (const c of PORT_CASES) {
      const reason = setup.notApplicable?.[c.name];
      if (reason) {
        it.skip(`${c.title} (not applicable: ${reason})`, () => undefined);
        continue;
      }
      it(
        c.title,
        async () => {
          if (!rig) throw new Error('rig did not start');
          const actual = await c.act(rig);
          if (c.partial) expect(actual).toMatchObject(c.expected as object);
          else expect(actual).toEqual(c.expected);
        },
        c.timeoutMs ?? 20_000,
      );
    }
  });
}

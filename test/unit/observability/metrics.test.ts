import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { TurnLatency } from '../../../src/calls/turn-latency.js';
import type { CallRecorder } from '../../../src/calls/call-recorder.js';
import { CallwrightMetrics } from '../../../src/observability/metrics.js';
import { refusalResult } from '../../../src/observability/metrics-inbound.js';
import type { CallLeg, InboundCall } from '../../../src/telephony/port.js';

let metrics: CallwrightMetrics[] = [];
afterEach(() => {
  for (const m of metrics) m.close();
  metrics = [];
});

function fresh(now?: () => number): CallwrightMetrics {
  const m = new CallwrightMetrics(now);
  metrics.push(m);
  return m;
}

/** `name{labels} value` lines of the exposition, as a map (histogram series included). */
async function samples(m: CallwrightMetrics): Promise<Map<string, number>> {
  const text = await m.render();
  const out = new Map<string, number>();
  // Without the histogram TYPE lines the parser keeps each _bucket/_sum/_count series' labels.
  for (const f of parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, ''))) {
    for (const s of f.metrics) {
      const labels = Object.entries(s.labels ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      out.set(labels ? `${f.name}{${labels}}` : f.name, Number(s.value));
    }
  }
  return out;
}

/** An inbound call whose outcome the test decides; `cancel()` is the caller's CANCEL. */
function inbound(): InboundCall & { cancel(): void; rejected: number[] } {
  let cancel!: () => void;
  const rejected: number[] = [];
  return {
    info: { id: 'leg-1' } as InboundCall['info'],
    ring: async () => undefined,
    reject: async (status: number) => void rejected.push(status),
    answer: async () => ({ info: { id: 'leg-1' } }) as CallLeg,
    cancelled: new Promise<void>((r) => (cancel = r)),
    cancel: () => cancel(),
    rejected,
  };
}

describe('metrics registry', () => {
  it('keeps one registry per server: two collectors in one process count apart', async () => {
    const a = fresh();
    const b = fresh();
    a.callHooks.callEnded('inbound', 'normal');
    expect((await samples(a)).get('callwright_calls_ended_total{direction="inbound",cause="normal"}')).toBe(
      1,
    );
    expect((await samples(b)).has('callwright_calls_ended_total{direction="inbound",cause="normal"}')).toBe(
      false,
    );
  });

  it.each([
    [180, 'failed'],
    [302, 'redirected_3xx'],
    [404, 'refused_4xx'],
    [486, 'refused_4xx'],
    [503, 'refused_5xx'],
    [603, 'refused_6xx'],
  ])('a final refusal %i counts as %s (RFC 3261 §21 status classes)', (status, result) => {
    expect(refusalResult(status)).toBe(result);
  });

  it('counts each INVITE once by what became of it; the handler sees the backend call behind the wrapper', async () => {
    const m = fresh();
    const answered = inbound();
    await m.callHooks.inbound(async (call) => {
      expect(call.info).toBe(answered.info);
      await call.ring();
      await call.answer();
      // A CANCEL racing the answer changes nothing: the INVITE was answered.
      answered.cancel();
    })(answered);
    const refused = inbound();
    await m.callHooks.inbound((call) => call.reject(404))(refused);
    expect(refused.rejected).toEqual([404]);
    const cancelled = inbound();
    await m.callHooks.inbound(async (call) => {
      await call.ring();
      (call as ReturnType<typeof inbound>).cancel();
      await call.cancelled;
    })(cancelled);
    const broken = inbound();
    await expect(
      m.callHooks.inbound(() => {
        throw new Error('handler bug');
      })(broken),
    ).rejects.toThrow('handler bug');
    await new Promise((r) => setImmediate(r));
    const s = await samples(m);
    expect(s.get('callwright_inbound_invites_total{result="answered"}')).toBe(1);
    expect(s.get('callwright_inbound_invites_total{result="refused_4xx"}')).toBe(1);
    expect(s.get('callwright_inbound_invites_total{result="cancelled"}')).toBe(1);
    expect(s.get('callwright_inbound_invites_total{result="failed"}')).toBe(1);
    expect(s.get('callwright_inbound_invites_total{result="refused_5xx"}')).toBe(0);
  });

  it("turn latencies from TurnLatency's own report: recogniser only for heard speech, model, synthesis and the whole turn", async () => {
    const m = fresh();
    let now = 0;
    const recorder = { event: () => ({ type: 'turn' }) } as unknown as CallRecorder;
    const providers = { agentKind: 'llm', recognizer: 'deepgram', synthesizer: 'elevenlabs' };
    const turns = new TurnLatency(
      recorder,
      () => 0,
      () => now,
      (t) => m.callHooks.turn(providers, t),
    );
    turns.speechEnded();
    now += 300;
    turns.finalTranscript();
    now += 400;
    turns.mark('first_token');
    now += 100;
    turns.mark('first_sentence');
    now += 250;
    turns.firstAudio();
    now += 20;
    turns.firstPacket();
    // A line sent as text: no recogniser time.
    turns.finalTranscript();
    now += 500;
    turns.mark('first_token');
    turns.firstPacket();

    const s = await samples(m);
    expect(s.get('callwright_recognizer_latency_seconds_count{recognizer="deepgram"}')).toBe(1);
    expect(s.get('callwright_recognizer_latency_seconds_sum{recognizer="deepgram"}')).toBeCloseTo(0.3);
    expect(s.get('callwright_llm_first_token_seconds_count{agent_kind="llm"}')).toBe(2);
    expect(s.get('callwright_llm_first_token_seconds_sum{agent_kind="llm"}')).toBeCloseTo(0.9);
    expect(s.get('callwright_synthesizer_first_audio_seconds_sum{synthesizer="elevenlabs"}')).toBeCloseTo(
      0.25,
    );
    expect(s.get('callwright_turn_response_seconds_count{agent_kind="llm"}')).toBe(2);
    expect(s.get('callwright_turn_response_seconds_sum{agent_kind="llm"}')).toBeCloseTo(1.07 + 0.5);
  });

  it('transfers by mode, method and result; REFERs only when one was sent', async () => {
    const m = fresh();
    m.callHooks.transfer({ mode: 'cold', method: 'bridge', result: 'connected' }, 'failed');
    m.callHooks.transfer({ mode: 'cold', method: 'bridge', result: 'connected' }, 'skipped');
    m.callHooks.transfer({ mode: 'warm', method: 'bridge', result: 'failed' });
    const s = await samples(m);
    expect(s.get('callwright_transfers_total{mode="cold",method="bridge",result="connected"}')).toBe(2);
    expect(s.get('callwright_transfers_total{mode="warm",method="bridge",result="failed"}')).toBe(1);
    expect(s.get('callwright_sip_refers_total{outcome="failed"}')).toBe(1);
    expect(s.has('callwright_sip_refers_total{outcome="skipped"}')).toBe(false);
  });

  it('admission refusals and draining come from the registered source at scrape time, every reason at zero before', async () => {
    const m = fresh();
    let s = await samples(m);
    expect(s.get('callwright_admission_refusals_total{reason="rtp-ports"}')).toBe(0);
    expect(s.get('callwright_admission_draining')).toBe(0);
    const stats = {
      active: 2,
      draining: false,
      refusals: { concurrency: 3, rate: 1 } as Record<string, number>,
    };
    m.registerAdmission({ stats: () => stats });
    s = await samples(m);
    expect(s.get('callwright_admission_refusals_total{reason="concurrency"}')).toBe(3);
    expect(s.get('callwright_admission_refusals_total{reason="rate"}')).toBe(1);
    expect(s.get('callwright_admission_refusals_total{reason="overload"}')).toBe(0);
    stats.refusals = { concurrency: 5, draining: 2 };
    stats.draining = true;
    s = await samples(m);
    expect(s.get('callwright_admission_refusals_total{reason="concurrency"}')).toBe(5);
    expect(s.get('callwright_admission_refusals_total{reason="draining"}')).toBe(2);
    expect(s.get('callwright_admission_draining')).toBe(1);
  });

  it('the outbox age is measured from the oldest waiting row; a store that fails under a scrape does not fail the scrape', async () => {
    const m = fresh(() => Date.parse('2026-01-01T00:01:30Z'));
    let fail = false;
    m.registerOutbox({
      backlog: () => {
        if (fail) throw new Error('The database connection is not open');
        return { waiting: 4, oldestWaitingCreatedAt: '2026-01-01T00:00:00.000Z', dead: 1 };
      },
    });
    let s = await samples(m);
    expect(s.get('callwright_outbox_depth')).toBe(4);
    expect(s.get('callwright_outbox_oldest_pending_age_seconds')).toBe(90);
    expect(s.get('callwright_outbox_dead')).toBe(1);
    fail = true;
    s = await samples(m);
    expect(s.get('callwright_calls_active{direction="inbound"}')).toBeUndefined();
    expect(s.has('callwright_process_resident_memory_bytes')).toBe(true);
  });

  it('action runs by type and status with their duration', async () => {
    const m = fresh();
    m.actionRun({ actionType: 'webhook', status: 'succeeded', durationMs: 120 });
    m.actionRun({ actionType: 'webhook', status: 'failed', durationMs: 3000 });
    m.outboxSettled({ row: { kind: 'action' }, ok: true });
    m.outboxSettled({ row: { kind: 'action' }, ok: false, superseded: true });
    const s = await samples(m);
    expect(s.get('callwright_action_runs_total{type="webhook",status="succeeded"}')).toBe(1);
    expect(s.get('callwright_action_run_duration_seconds_sum{type="webhook",status="failed"}')).toBe(3);
    expect(
      s.get('callwright_action_run_duration_seconds_bucket{le="0.25",type="webhook",status="succeeded"}'),
    ).toBe(1);
    expect(s.get('callwright_outbox_deliveries_total{kind="action",result="delivered"}')).toBe(1);
    expect(s.get('callwright_outbox_deliveries_total{kind="action",result="superseded"}')).toBe(1);
  });

  it('campaigns: attempts by outcome, the wait by limit, gauges read at scrape; a finished campaign leaves its series', async () => {
    const m = fresh();
    let open = [
      { campaign: 'spring', status: 'pending', n: 3 },
      { campaign: 'spring', status: 'answered', n: 2 },
    ];
    let fail = false;
    m.registerCampaigns({
      contactsByStatus: () => {
        if (fail) throw new Error('The database connection is not open');
        return open;
      },
      campaignsByStatus: () => ({ running: 1 }),
      inFlightByTrunk: () => ({ carrier: 2 }),
    });
    m.campaignHooks.attemptStarted();
    m.campaignHooks.attemptFinished('busy');
    m.campaignHooks.slotWait(1500, 'trunk-concurrency');
    let s = await samples(m);
    expect(s.get('callwright_campaign_attempts_started_total')).toBe(1);
    expect(s.get('callwright_campaign_attempts_finished_total{outcome="busy"}')).toBe(1);
    expect(s.get('callwright_campaign_attempts_finished_total{outcome="released"}')).toBe(0);
    expect(s.get('callwright_campaign_slot_wait_seconds_sum{held_by="trunk-concurrency"}')).toBe(1.5);
    expect(s.get('callwright_campaign_contacts{campaign="spring",status="pending"}')).toBe(3);
    expect(s.get('callwright_campaigns{status="running"}')).toBe(1);
    expect(s.get('callwright_campaigns{status="completed"}')).toBe(0);
    expect(s.get('callwright_campaign_calls_in_flight{trunk="carrier"}')).toBe(2);
    open = [];
    s = await samples(m);
    expect(s.has('callwright_campaign_contacts{campaign="spring",status="pending"}')).toBe(false);
    fail = true;
    s = await samples(m);
    expect(s.get('callwright_campaign_calls_in_flight{trunk="carrier"}')).toBe(2);
  });
});

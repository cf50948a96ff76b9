/**
 * Prometheus metrics end to end: the real server on the embedded backend, real calls from sipp, a
 * scripted agent running an action, an after-call webhook to a loopback receiver through the outbox,
 * and `/metrics` scraped over HTTP and read with a real text-format parser.
 * Port block for this file: 49500-49799 (sipp 49501-49589, admin API 49590, own metrics port 49595,
 * server RTP 49600-49799).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { runSipp, SCENARIOS, startSipp, sippFailure } from '../../helpers/sipp.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { scrape } from '../../helpers/prometheus-scrape.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import {
  startAcceptanceServer,
  until,
  type AcceptanceServer,
} from '../calls/acceptance/acceptance-server.js';

const BASE = 49500;
const DOCKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docker');

/** Every family the server exports, whatever it is doing. */
const FAMILIES = [
  'callwright_calls_active',
  'callwright_inbound_invites_total',
  'callwright_calls_ended_total',
  'callwright_transfers_total',
  'callwright_sip_refers_total',
  'callwright_action_runs_total',
  'callwright_action_run_duration_seconds',
  'callwright_outbox_deliveries_total',
  'callwright_outbox_depth',
  'callwright_outbox_oldest_pending_age_seconds',
  'callwright_outbox_dead',
  'callwright_recognizer_latency_seconds',
  'callwright_llm_first_token_seconds',
  'callwright_synthesizer_first_audio_seconds',
  'callwright_turn_response_seconds',
  'callwright_amd_decisions_total',
  'callwright_amd_decision_seconds',
  'callwright_amd_classifier_verdicts_total',
  'callwright_rtp_frame_lateness_seconds',
  'callwright_event_loop_delay_seconds',
  'callwright_process_resident_memory_bytes',
  'callwright_admission_refusals_total',
  'callwright_admission_draining',
  'callwright_sip_auth_bans_active',
  'callwright_sip_auth_bans_total',
  'callwright_sip_auth_failures_total',
  'callwright_campaign_attempts_started_total',
  'callwright_campaign_attempts_finished_total',
  'callwright_campaign_slot_wait_seconds',
  'callwright_campaign_contacts',
  'callwright_campaigns',
  'callwright_campaign_calls_in_flight',
];

describe('GET /metrics on a server taking real calls', () => {
  let app: AcceptanceServer;
  let receiver: HttpReceiver;
  let metricsUrl = '';

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    app = await startAcceptanceServer(BASE, {
      http: { allow_private: true },
      media: { rtp_port_min: BASE + 100, rtp_port_max: BASE + 299 },
    });
    metricsUrl = `${app.server.apiUrl}/metrics`;
    await app.setupAgent({
      name: 'metered',
      number: '+14155550170',
      steps: [
        { say: 'Hello from the metered agent.' },
        { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 15000, into: 'choice' } },
        { branch: [{ dtmf: '1', goto: 'one' }] },
        { hangup: { say: 'Nothing pressed.' } },
        { id: 'one', action: 'metered_mark' },
        { hangup: { say: 'You pressed one. Goodbye.' } },
      ],
      actions: [
        { name: 'metered_mark', type: 'call-disposition', config: { disposition: 'pressed-one' } },
        {
          name: 'metered_hook',
          type: 'webhook',
          config: { url: `${receiver.url}/ended`, event: 'call.ended' },
        },
      ],
      attachments: [
        { action: 'metered_mark', stage: 'during', triggers: [{ kind: 'tool' }] },
        { action: 'metered_hook', stage: 'after' },
      ],
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('serves every family in the Prometheus text format without an API key', async () => {
    const s = await scrape(metricsUrl);
    expect(s.status).toBe(200);
    expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect([...s.families.keys()].filter((n) => !FAMILIES.includes(n))).toEqual([]);
    expect(FAMILIES.filter((n) => !s.families.has(n))).toEqual([]);
    // State read at scrape time: no call yet, nothing waiting, the loop and the media clock measured.
    expect(s.value('callwright_calls_active', { direction: 'inbound' })).toBe(0);
    expect(s.value('callwright_outbox_depth')).toBe(0);
    expect(s.value('callwright_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(s.families.get('callwright_event_loop_delay_seconds')?.metrics.length).toBe(4);
    expect(s.value('callwright_admission_refusals_total', { reason: 'concurrency' })).toBe(0);
  });

  it('the Grafana dashboard parses, takes its data source from a variable and charts only (and every) exported family', async () => {
    const exported = (await scrape(metricsUrl)).families;
    const dashboard = JSON.parse(readFileSync(path.join(DOCKER, 'grafana', 'callwright.json'), 'utf8')) as {
      templating: { list: Array<{ name: string; type: string; query?: unknown }> };
      panels: Array<{
        type: string;
        title: string;
        datasource?: { uid?: string };
        targets?: Array<{ expr: string; datasource?: { uid?: string } }>;
      }>;
    };
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const charts = dashboard.panels.filter((p) => p.type !== 'row');
    const used = new Set<string>();
    for (const panel of charts) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid, panel.title).toBe('${datasource}');
        for (const [name] of target.expr.matchAll(/callwright_[a-z0-9_]+/g)) {
          // A histogram's series are <family>_bucket, _sum and _count.
          const family = exported.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
          expect(exported.get(family)?.type, `${panel.title}: ${name}`).toBe(
            family === name ? exported.get(name)?.type : 'HISTOGRAM',
          );
          used.add(family);
        }
      }
    }
    expect(FAMILIES.filter((f) => !used.has(f))).toEqual([]);
  });

  it("the compose file's monitoring profile scrapes the callwright service and provisions the dashboard", () => {
    const compose = parseYaml(readFileSync(path.join(DOCKER, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { profiles?: string[]; volumes?: string[] }>;
    };
    const monitoring = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('monitoring'));
    expect(monitoring.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
    // The stack without the profile is unchanged: no other service belongs to a profile.
    expect(
      Object.values(compose.services).filter((s) => s.profiles && !s.profiles.includes('monitoring')),
    ).toEqual([]);
    for (const [, service] of monitoring) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('./')) expect(existsSync(path.join(DOCKER, source)), volume).toBe(true);
      }
    }
    const prometheus = parseYaml(readFileSync(path.join(DOCKER, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(prometheus.scrape_configs[0]).toMatchObject({
      metrics_path: '/metrics',
      static_configs: [{ targets: ['callwright:8080'] }],
    });
  });

  it('a call moves them: active up then down, the INVITE answered, the end by cause, the action run, the after-call delivery', async () => {
    const before = await scrape(metricsUrl);
    // The worker stops, so the row the call's end writes waits in the outbox until it starts again.
    await app.server.actions.stop();
    const caller = startSipp({
      scenario: 'uac-invite-press-1-expect-bye.xml',
      remote: app.sipTarget,
      service: '+14155550170',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
      timeoutMs: 40_000,
    });
    const during = await until(async () => {
      const s = await scrape(metricsUrl);
      return s.value('callwright_calls_active', { direction: 'inbound' }) === 1 ? s : undefined;
    });
    expect(during.value('callwright_calls_active', { direction: 'outbound' })).toBe(0);
    const result = await caller.done;
    expect(result.code, sippFailure(result)).toBe(0);

    const ended = { direction: 'inbound', cause: 'normal' };
    const after = await until(async () => {
      const s = await scrape(metricsUrl);
      return s.value('callwright_calls_active', { direction: 'inbound' }) === 0 &&
        s.value('callwright_calls_ended_total', ended) >
          before.value('callwright_calls_ended_total', ended) &&
        s.value('callwright_outbox_depth') >= 1
        ? s
        : undefined;
    });
    expect(after.value('callwright_calls_ended_total', ended)).toBe(
      before.value('callwright_calls_ended_total', ended) + 1,
    );
    expect(after.value('callwright_inbound_invites_total', { result: 'answered' })).toBe(
      before.value('callwright_inbound_invites_total', { result: 'answered' }) + 1,
    );
    const mark = { type: 'call-disposition', status: 'succeeded' };
    expect(after.value('callwright_action_runs_total', mark)).toBe(
      before.value('callwright_action_runs_total', mark) + 1,
    );
    expect(after.count('callwright_action_run_duration_seconds', mark)).toBe(
      before.count('callwright_action_run_duration_seconds', mark) + 1,
    );
    // The webhook row waits: depth and the age of the oldest waiting row are read from the store.
    expect(after.value('callwright_outbox_depth')).toBe(1);
    expect(after.value('callwright_outbox_oldest_pending_age_seconds')).toBeGreaterThan(0);
    // Frames were paced on the media clock during the call.
    expect(after.families.get('callwright_rtp_frame_lateness_seconds')?.metrics.length).toBe(2);

    app.server.actions.start();
    const delivered = { kind: 'action', result: 'delivered' };
    const hook = { type: 'webhook', status: 'succeeded' };
    const drained = await until(async () => {
      const s = await scrape(metricsUrl);
      return s.value('callwright_outbox_depth') === 0 &&
        s.value('callwright_action_runs_total', hook) > before.value('callwright_action_runs_total', hook)
        ? s
        : undefined;
    });
    expect(drained.value('callwright_outbox_deliveries_total', delivered)).toBe(
      before.value('callwright_outbox_deliveries_total', delivered) + 1,
    );
    expect(drained.value('callwright_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(drained.value('callwright_action_runs_total', hook)).toBe(
      before.value('callwright_action_runs_total', hook) + 1,
    );
    expect(receiver.requests.map((r) => r.url)).toEqual(['/ended']);
  }, 90_000);

  it('a cold transfer by REFER counts the transfer, the REFER and the end as transferred', async () => {
    await app.setupAgent({
      name: 'metered_transfer',
      number: '+14155550171',
      targets: { desk: { type: 'sip', uri: `sip:desk@127.0.0.1:${BASE + 20}` } },
      steps: [
        { say: 'Welcome.' },
        { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 15000 } },
        { transfer: { target: 'desk', on_failure: 'failed' } },
        { hangup: true },
        { id: 'failed', hangup: { say: 'The transfer failed.' } },
      ],
    });
    const before = await scrape(metricsUrl);
    const caller = startSipp({
      scenario: 'transfer-uac-press-1-accept-refer.xml',
      remote: app.sipTarget,
      service: '+14155550171',
      localPort: BASE + 2,
      mediaPort: BASE + 30,
      timeoutMs: 40_000,
    });
    const result = await caller.done;
    expect(result.code, sippFailure(result)).toBe(0);
    const transferred = { direction: 'inbound', cause: 'transferred' };
    const after = await until(async () => {
      const s = await scrape(metricsUrl);
      return s.value('callwright_calls_ended_total', transferred) >
        before.value('callwright_calls_ended_total', transferred)
        ? s
        : undefined;
    });
    const refer = { mode: 'cold', method: 'refer', result: 'completed' };
    expect(after.value('callwright_transfers_total', refer)).toBe(
      before.value('callwright_transfers_total', refer) + 1,
    );
    expect(after.value('callwright_sip_refers_total', { outcome: 'completed' })).toBe(
      before.value('callwright_sip_refers_total', { outcome: 'completed' }) + 1,
    );
  }, 60_000);

  it("a caller's line sent over the API is a turn: its answer's first packet is timed, with no recogniser time", async () => {
    await app.setupAgent({
      name: 'metered_turn',
      number: '+14155550172',
      steps: [{ gather: { input: 'speech', timeout_ms: 20000 } }, { hangup: { say: 'Thank you. Goodbye.' } }],
    });
    const before = await scrape(metricsUrl);
    const caller = startSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: app.sipTarget,
      service: '+14155550172',
      localPort: BASE + 4,
      mediaPort: BASE + 40,
      timeoutMs: 40_000,
    });
    const { id } = await app.callTo('+14155550172');
    await app.callWhen(id, (c) => c.state === 'answered');
    // Sent until the gather has taken it (a line before the gather starts reaches no step). Only the
    // turn open when the answer starts playing gets its first packet, so extra lines add no observation.
    await until(async () => {
      const posted = await app.api('POST', `/calls/${id}/transcript`, { text: 'I would like a table.' });
      if (posted.status !== 202) return true;
      await new Promise((r) => setTimeout(r, 300));
      return (await app.events(id)).some((e) => e.type === 'gather');
    });
    const result = await caller.done;
    expect(result.code, sippFailure(result)).toBe(0);
    const scripted = { agent_kind: 'scripted' };
    const after = await until(async () => {
      const s = await scrape(metricsUrl);
      return s.count('callwright_turn_response_seconds', scripted) >
        before.count('callwright_turn_response_seconds', scripted)
        ? s
        : undefined;
    });
    expect(after.count('callwright_turn_response_seconds', scripted)).toBe(
      before.count('callwright_turn_response_seconds', scripted) + 1,
    );
    // The line came as text: the recogniser had no part in this turn.
    expect(after.families.get('callwright_recognizer_latency_seconds')?.metrics).toEqual(
      before.families.get('callwright_recognizer_latency_seconds')?.metrics,
    );
  }, 60_000);

  it('an INVITE for a number no agent answers counts as refused (4xx)', async () => {
    // The product's own 486 scenario, expecting the 404 a number without an agent gets (RFC 3261 §21.4.5).
    const scenario = path.join(app.dir, 'uac-invite-expect-404.xml');
    writeFileSync(
      scenario,
      readFileSync(path.join(SCENARIOS, 'uac-invite-expect-486.xml'), 'utf8').replace(
        '<recv response="486"/>',
        '<recv response="404"/>',
      ),
    );
    const before = await scrape(metricsUrl);
    const caller = startSipp({
      scenario,
      remote: app.sipTarget,
      service: '+14155550179',
      localPort: BASE + 3,
      timeoutMs: 30_000,
    });
    const result = await caller.done;
    expect(result.code, sippFailure(result)).toBe(0);
    const after = await scrape(metricsUrl);
    expect(after.value('callwright_inbound_invites_total', { result: 'refused_4xx' })).toBe(
      before.value('callwright_inbound_invites_total', { result: 'refused_4xx' }) + 1,
    );
    expect(after.value('callwright_inbound_invites_total', { result: 'answered' })).toBe(
      before.value('callwright_inbound_invites_total', { result: 'answered' }),
    );
  }, 60_000);
});

describe('who may read /metrics, and where', () => {
  async function boot(
    metrics: Record<string, unknown>,
    sip: Record<string, unknown> = {},
    admission: Record<string, unknown> = {},
  ): Promise<{
    server: RunningServer;
    apiKey: string;
    stop: () => Promise<void>;
  }> {
    const dir = tempDir('callwright-metrics-');
    const lines: string[] = [];
    const server = await startServer(
      testConfig(dir.dir, {
        sip: { address: '127.0.0.1', ...sip },
        media: { address: '127.0.0.1', rtp_port_min: BASE + 300, rtp_port_max: BASE + 349 },
        calls: { demo_agent: false },
        metrics,
        admission,
      }),
      { io: { out: (l) => lines.push(l), err: () => undefined, tty: false } },
    );
    const apiKey = /API key: (\S+)/.exec(lines.join('\n'))?.[1] ?? '';
    return {
      server,
      apiKey,
      stop: async () => {
        await server.stop();
        dir.cleanup();
      },
    };
  }

  it('with metrics.require_key the scrape needs the API key: 401 without, 200 with it', async () => {
    const { server, apiKey, stop } = await boot({ require_key: true });
    try {
      const url = `${server.apiUrl}/metrics`;
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHORIZED');
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const s = await scrape(url, { authorization: `Bearer ${apiKey}` });
      expect(s.status).toBe(200);
      expect(s.families.has('callwright_calls_active')).toBe(true);
    } finally {
      await stop();
    }
  });

  it('with metrics.port set, /metrics has a listener of its own and the API port no longer serves it', async () => {
    const { server, stop } = await boot({ port: BASE + 95, host: '127.0.0.1' });
    try {
      expect(server.metricsUrl).toBe(`http://127.0.0.1:${BASE + 95}/metrics`);
      const s = await scrape(server.metricsUrl!);
      expect(s.status).toBe(200);
      expect(FAMILIES.filter((n) => !s.families.has(n))).toEqual([]);
      expect((await fetch(`${server.apiUrl}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${BASE + 95}/calls`)).status).toBe(404);
    } finally {
      await stop();
    }
  });

  it('failed SIP digest answers and the ban they earn are counted (DigestBans)', async () => {
    // 127.0.0.2 is outside sip.allow, so it is challenged; two wrong passwords ban it.
    const { server, stop } = await boot(
      {},
      {
        allow: ['127.0.0.3/32'],
        dids: ['*'],
        trunks: [{ name: 'pbx', host: '127.0.0.4', inbound_username: 'pbx', inbound_password: 'secret' }],
        auth_bans: { max_failures: 2, window_s: 60, ban_s: 60 },
      },
    );
    try {
      const url = `${server.apiUrl}/metrics`;
      const before = await scrape(url);
      expect(before.value('callwright_sip_auth_bans_active')).toBe(0);
      const result = await runSipp({
        scenario: 'uac-invite-wrong-password-expect-403.xml',
        remote: `127.0.0.1:${(server.telephony as unknown as EmbeddedTelephony).port}`,
        service: '1000',
        localIp: '127.0.0.2',
        localPort: BASE + 5,
        calls: 2,
        rate: 20,
        timeoutMs: 20_000,
        extraArgs: ['-au', 'pbx', '-ap', 'not-the-password'],
      });
      expect(result.code, sippFailure(result)).toBe(0);
      const after = await scrape(url);
      expect(after.value('callwright_sip_auth_failures_total')).toBe(2);
      expect(after.value('callwright_sip_auth_bans_total')).toBe(1);
      expect(after.value('callwright_sip_auth_bans_active')).toBe(1);
    } finally {
      await stop();
    }
  }, 60_000);

  it('INVITEs refused by admission control before ringing are counted by reason (AdmissionControl)', async () => {
    const { server, stop } = await boot({}, {}, { max_calls_per_second: 1, auto: false });
    try {
      const url = `${server.apiUrl}/metrics`;
      const before = await scrape(url);
      expect(before.value('callwright_admission_refusals_total', { reason: 'rate' })).toBe(0);
      // Three INVITEs at once: one token, so at least two get 503 + Retry-After (the sipp scenario
      // expects another answer: only the counts matter here).
      await runSipp({
        scenario: 'uac-invite-expect-486.xml',
        remote: `127.0.0.1:${(server.telephony as unknown as EmbeddedTelephony).port}`,
        service: '1000',
        localPort: BASE + 6,
        calls: 3,
        rate: 100,
        timeoutMs: 20_000,
      });
      const after = await until(async () => {
        const s = await scrape(url);
        return s.value('callwright_admission_refusals_total', { reason: 'rate' }) >= 2 ? s : undefined;
      }, 15_000);
      expect(after.value('callwright_admission_refusals_total', { reason: 'concurrency' })).toBe(0);
      expect(after.value('callwright_admission_draining')).toBe(0);
    } finally {
      await stop();
    }
  }, 60_000);

  it('with metrics.enabled false nothing is served', async () => {
    const { server, stop } = await boot({ enabled: false });
    try {
      expect(server.metrics).toBeUndefined();
      expect((await fetch(`${server.apiUrl}/metrics`)).status).toBe(404);
    } finally {
      await stop();
    }
  });
});

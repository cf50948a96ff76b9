import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { parse } from 'yaml';
import { createLogger } from '../../../src/logging/logger.js';
import { redactUrl, scrubText } from '../../../src/logging/pii-scrub.js';
import { buildApi } from '../../../src/api/app.js';
import { CallManager } from '../../../src/calls/call-manager.js';
import { testActionEngine } from '../../helpers/action-engine.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { FakeTelephony } from '../../helpers/fake-port.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A real pino destination that keeps each written line. */
function capture(): { stream: Writable; lines: () => string[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = (): string[] => chunks.join('').split('\n').filter(Boolean);
  return { stream, lines, text: () => chunks.join('') };
}

const NUMBER = '+14155550100';

describe('log redaction', () => {
  it('hides provider keys under api_key / apiKey at any depth, with or without PII redaction', () => {
    for (const redact_pii of [true, false]) {
      const out = capture();
      const logger = createLogger({ level: 'info', redact_pii }, out.stream);
      logger.info(
        {
          api_key: 'sk-top',
          speech: { deepgram: { api_key: 'dg-secret' } },
          options: { apiKey: 'el-secret' },
        },
        'settings',
      );
      const text = out.text();
      for (const secret of ['sk-top', 'dg-secret', 'el-secret']) expect(text).not.toContain(secret);
      expect(text).toContain('[redacted]');
    }
  });

  it('keeps call state names readable in the call-state line and hides the numbers of the call', async () => {
    const out = capture();
    const logger = createLogger({ level: 'info', redact_pii: true }, out.stream);
    const t = tempStore();
    cleanups.push(t.cleanup);
    const telephony = new FakeTelephony();
    const engine = testActionEngine(t.store, testConfig(t.dir), logger);
    const manager = new CallManager({
      store: t.store,
      engine,
      telephony,
      settings: {
        default_agent: 'bye',
        demo_agent: false,
        demo_transfer_target: '',
        default_timezone: 'UTC',
        calling_hours: {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          start: '00:00',
          end: '23:59',
        },
        voicemail_silence_threshold_dbfs: -45,
        drain_timeout_ms: 200,
        drain_window_s: 3600,
      },
      logger,
      trunks: [],
    });
    telephony.onInbound(manager.handleInbound);
    await t.store.agents.create({
      name: 'bye',
      kind: 'scripted',
      config: parse('steps:\n  - hangup: { say: Goodbye }\n') as Record<string, unknown>,
    });
    const { handled } = telephony.incoming(NUMBER, '+14155550199');
    await handled;
    const states = (): Array<{ msg: string; from?: string; to?: string }> =>
      out
        .lines()
        .map((l) => JSON.parse(l) as { msg: string; from?: string; to?: string })
        .filter((l) => l.msg === 'call state');
    await until(() => states().some((s) => s.to === 'ended'));
    expect(states().length).toBeGreaterThan(1);
    for (const s of states()) {
      expect(s.from).toMatch(/^[a-z-]+$/);
      expect(s.to).toMatch(/^[a-z-]+$/);
    }
    expect(out.text()).not.toContain('4155550100');
    expect(out.text()).not.toContain('4155550199');
  });

  it('hides a number under any key, in the message and in an error, and leaves ids, times and states alone', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', redact_pii: true }, out.stream);
    const child = logger.child({ callId: 'call_0123456789abcdef', target: 'sip:+442079460958@carrier' });
    child.info({ from: NUMBER, to: 'ringing', callee: '+1 (415) 555-0101' }, `dialling ${NUMBER}`);
    child.warn(
      { whatever: { deep: ['415-555-0102'] }, at: '2026-12-05T15:33:51.000Z', day: '2026-12-05' },
      'x',
    );
    child.error({ err: new Error(`number 4155550103 refused`) }, 'failed');
    const text = out.text();
    for (const leaked of ['4155550100', '555-0101', '415-555-0102', '4155550103', '2079460958']) {
      expect(text).not.toContain(leaked);
    }
    const [first, second] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ callId: 'call_0123456789abcdef', to: 'ringing', from: '[redacted]' });
    expect(first?.msg).toBe('dialling [redacted]');
    expect(first?.target).toBe('sip:[redacted]@carrier');
    expect(second).toMatchObject({ at: '2026-12-05T15:33:51.000Z', day: '2026-12-05' });
  });

  it('hides numbers in request URLs of the fastify request log, query and path alike', async () => {
    const out = capture();
    const logger = createLogger({ level: 'info', redact_pii: true }, out.stream);
    const t = tempStore();
    cleanups.push(t.cleanup);
    const config = testConfig(t.dir);
    const app = await buildApi({
      store: t.store,
      config,
      logger,
      actionEngine: testActionEngine(t.store, config, logger),
    });
    cleanups.push(() => app.close());
    const { token } = await t.store.apiKeys.create('test');
    const headers = { authorization: `Bearer ${token}` };
    await app.inject({ method: 'GET', url: `/contacts?phone=${encodeURIComponent(NUMBER)}`, headers });
    await app.inject({ method: 'GET', url: '/calls?number=+14155550101&limit=5', headers });
    await app.inject({ method: 'GET', url: '/contacts/4155550102', headers });
    const urls = out
      .lines()
      .map((l) => JSON.parse(l) as { req?: { url?: string } })
      .flatMap((l) => (l.req?.url ? [l.req.url] : []));
    expect(urls).toEqual([
      '/contacts?phone=[redacted]',
      '/calls?number=[redacted]&limit=5',
      '/contacts/[redacted]',
    ]);
    expect(out.text()).not.toMatch(/415555010[012]/);
    expect(out.text()).not.toContain(token);
  });

  it('prints numbers as given when log.redact_pii is false', () => {
    const out = capture();
    createLogger({ level: 'info', redact_pii: false }, out.stream).info({ from: NUMBER }, 'x');
    expect(out.text()).toContain(NUMBER);
  });
});

describe('phone-number shapes', () => {
  it.each([
    ['+14155550100', '[redacted]'],
    ['call +1 (415) 555-0100 now', 'call [redacted] now'],
    ['(415) 555-0100', '[redacted]'],
    ['020 7946 0958', '[redacted]'],
    ['tel:+14155550100', 'tel:[redacted]'],
    ['sip:1000@pbx', 'sip:1000@pbx'],
    ['alice@example.com', '[redacted]'],
    ['mail to ada.l+crm@mail.example.co.uk now', 'mail to [redacted] now'],
    ['a84b4c76e66710@10.0.0.1', 'a84b4c76e66710@10.0.0.1'],
    ['sip:alice@pbx.example.com', 'sip:alice@pbx.example.com'],
    ['ringing', 'ringing'],
    ['192.168.100.200', '192.168.100.200'],
    ['2026-12-05', '2026-12-05'],
    ['agt_3k9x1234567890ab', 'agt_3k9x1234567890ab'],
    ['550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440000'],
    ['took 1500 ms', 'took 1500 ms'],
  ])('%s -> %s', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it('does not log the signature of a recording link', () => {
    expect(redactUrl('/calls/call_1/recording?expires=1797122699&sig=qWVv_ZLpkzQ7B32yAKhY')).toBe(
      '/calls/call_1/recording?expires=[redacted]&sig=[redacted]',
    );
  });

  it('redacts query values by key and by shape, keeps the rest', () => {
    expect(redactUrl('/calls?status=ended&to=%2B14155550100&q=smith')).toBe(
      '/calls?status=ended&to=[redacted]&q=[redacted]',
    );
  });
});

import { startAgentWebhook } from '../../../helpers/http-receiver.js';
import { afterEach, describe, expect, it } from 'vitest';
import { callsFixture, until } from '../calls-fixture.js';
import type { FakeLeg } from '../../../helpers/fake-port.js';
import type { RecordOptions } from '../../../../src/telephony/port.js';

let fx: ReturnType<typeof callsFixture>;
let closeHook: (() => Promise<void>) | undefined;
afterEach(async () => {
  await fx?.cleanup();
  await closeHook?.();
  closeHook = undefined;
});

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const VOICEMAIL_OPTIONS = { notify_to: ['team@example.com'], min_duration_ms: 0, max_duration_ms: 5000 };

/** A local agent webhook, closed after each test. */
async function webhook(reply: (event: Record<string, unknown>) => unknown) {
  const hook = await startAgentWebhook(reply);
  closeHook = hook.close;
  return hook;
}

/** The caller speaks for 1.5 s and ends the message with `#`, as a real backend reports it. */
function endsWithPound(leg: FakeLeg): void {
  leg.record = async (options: RecordOptions) => {
    leg.press('#');
    return { reason: 'dtmf', path: options.path, durationMs: 1500, digit: '#' };
  };
}

function outboxRows() {
  return fx.store.db
    .prepare('SELECT kind, action_id, call_id, status FROM outbox ORDER BY id')
    .all() as Array<Record<string, unknown>>;
}

function voicemailRuns(callId: string) {
  return fx.store.db
    .prepare(`SELECT action_id, action_type, status, "trigger" FROM action_runs WHERE call_id = ?`)
    .all(callId) as Array<Record<string, unknown>>;
}

describe('voicemail taken by an agent command', () => {
  it('a scripted voicemail step queues the notification email and the script goes on as saved', async () => {
    fx = callsFixture({ default_agent: 'vm' }, undefined, { durableVoicemailEmail: true });
    await fx.agent(
      'vm',
      `
steps:
  - voicemail: { options: ${JSON.stringify(VOICEMAIL_OPTIONS)} }
  - hangup: { say: 'Thanks, your message is saved.' }
`,
    );
    const { call } = fx.telephony.incoming('+14155550100', '+14155550199');
    const leg = await call.answered;
    endsWithPound(leg);
    await leg.ended;
    const row = (await fx.store.calls.all())[0]!;
    await until(async () => (await fx.store.calls.require(row.id)).state === 'ended');
    expect(leg.spoken).toContain('Thanks, your message is saved.');
    // The email went to the outbox with no definition behind it (NULL), not a made-up id.
    expect(outboxRows()).toEqual([
      { kind: 'voicemail-email', action_id: null, call_id: row.id, status: 'pending' },
    ]);
    const runs = voicemailRuns(row.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ action_id: null, action_type: 'leave-voicemail', status: 'succeeded' });
    expect(JSON.parse(String(runs[0]?.trigger))).toEqual({ kind: 'command', command: 'voicemail' });
  });

  it("a webhook agent's voicemail command gets the saved outcome with the queued email, and not the end key", async () => {
    const hook = await webhook((event) => {
      if (event.type === 'call-started')
        return { commands: [{ type: 'voicemail', options: VOICEMAIL_OPTIONS }] };
      if (event.type === 'voicemail-result') return { commands: [{ type: 'hangup', say: 'Bye' }] };
      return {};
    });
    fx = callsFixture({ default_agent: 'hooked' }, undefined, { durableVoicemailEmail: true });
    await fx.agent('hooked', JSON.stringify({ url: hook.url, secret: SECRET, timeout_ms: 2000 }), 'webhook');
    const { call } = fx.telephony.incoming('+14155550100', '+14155550199');
    const leg = await call.answered;
    endsWithPound(leg);
    await leg.ended;
    await until(() => hook.received.some((e) => e.type === 'call-event'));
    const result = hook.received.find((e) => e.type === 'voicemail-result');
    expect(result).toMatchObject({
      ok: true,
      outcome: {
        flow: 'voicemail',
        saved: true,
        duration_ms: 1500,
        end: 'dtmf',
        email: { status: 'queued' },
      },
    });
    expect(result).not.toHaveProperty('error');
    // The `#` that ended the recording was the recording's: the agent never got it as a keypress.
    expect(hook.received.map((e) => e.type)).toEqual(['call-started', 'voicemail-result', 'call-event']);
    expect(leg.spoken.at(-1)).toBe('Bye');
    expect(outboxRows()).toMatchObject([{ kind: 'voicemail-email', action_id: null }]);
  });
});

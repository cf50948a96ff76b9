import { afterEach, describe, expect, it } from 'vitest';
import { callsFixture, until } from './calls-fixture.js';

let fx: ReturnType<typeof callsFixture>;
afterEach(() => fx?.cleanup());

const MENU = `
steps:
  - say: 'Welcome {{ data.tier | default: "guest" }}'
  - id: menu
    gather: { input: dtmf, prompt: Press 1 or 2, max_digits: 1, timeout_ms: 1500, into: choice }
  - branch:
      - { dtmf: '1', goto: one }
      - { dtmf: '2', goto: two }
      - { no_input: true, goto: bye }
  - goto: menu
  - id: one
    action: quote
  - hangup: { say: 'Bye from one' }
  - id: two
    say: You chose two
  - hangup: true
  - id: bye
    hangup: { say: 'No input, goodbye' }
`;

describe('call session over the telephony port', () => {
  it('inbound: greets, gathers a key, branches, runs an action; row, events and runs stored in order', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    const agent = await fx.agent('menu', MENU);
    await fx.attach(agent.id, 'quote', 'custom-reply', { text: 'Your quote is ready' }, 'during', [
      { kind: 'tool' },
    ]);
    await fx.attach(agent.id, 'tier', 'test-echo', { text: 'x', tier: 'gold' }, 'before');
    await fx.attach(agent.id, 'log_end', 'test-echo', { text: 'after {{ collected.choice }}' }, 'after');
    const { call, handled } = fx.telephony.incoming('+14155550100', '+14155550199');
    const leg = await call.answered;
    await until(() => leg.spoken.includes('Press 1 or 2'));
    leg.press('1');
    await handled;
    await leg.ended;
    const row = (await fx.store.calls.all())[0]!;
    await until(async () => (await fx.store.calls.require(row.id)).state === 'ended');
    expect(leg.spoken).toEqual(['Welcome gold', 'Press 1 or 2', 'Your quote is ready', 'Bye from one']);
    expect(await fx.store.calls.require(row.id)).toMatchObject({
      direction: 'inbound',
      agent_id: agent.id,
      state: 'ended',
      outcome: 'completed',
      hangup_by: 'agent',
      call_disposition: 'no-disposition',
      collected: { choice: '1', last_input: 'dtmf' },
    });
    const types = (await fx.events(row.id)).map((e) => e.type);
    expect(types.indexOf('state')).toBeLessThan(types.indexOf('dtmf'));
    expect(types.indexOf('dtmf')).toBeLessThan(types.indexOf('gather'));
    expect(types.slice(-2)).toEqual(['hangup', 'state']);
    expect((await fx.events(row.id)).filter((e) => e.type === 'state').map((e) => e.data.to)).toEqual([
      'answered',
      'ended',
    ]);
    expect(fx.runs(row.id)).toEqual([
      { action_type: 'test-echo', stage: 'before', status: 'succeeded' },
      { action_type: 'custom-reply', stage: 'during', status: 'succeeded' },
      { action_type: 'test-echo', stage: 'after', status: 'queued' },
    ]);
    const outbox = fx.store.db.prepare('SELECT call_id, status FROM outbox').all();
    expect(outbox).toEqual([{ call_id: row.id, status: 'pending' }]);
  });

  it('keys pressed during the greeting are kept for the gather (type-ahead); no input times out', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    await fx.agent('menu', MENU);
    const first = fx.telephony.incoming('+14155550100', '100');
    const leg = await first.call.answered;
    await until(() => leg.spoken.length === 1);
    leg.press('2');
    await leg.ended;
    expect(leg.spoken).toEqual(['Welcome guest', 'You chose two']);
    const second = fx.telephony.incoming('+14155550100', '100');
    const leg2 = await second.call.answered;
    await leg2.ended;
    expect(leg2.spoken).toEqual(['Welcome guest', 'Press 1 or 2', 'No input, goodbye']);
  });

  it('an intent phrase injected as a transcript line fires the hang-up action after its closing line', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    const agent = await fx.agent('menu', MENU);
    await fx.attach(
      agent.id,
      'goodbye',
      'hang-up',
      { closing_line: 'Thanks {{ call.from }}, goodbye' },
      'during',
      [{ kind: 'intent', phrases: ['that is all'] }],
    );
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => leg.spoken.includes('Press 1 or 2'));
    const id = (await fx.store.calls.all())[0]!.id;
    await fx.manager.transcript(id, {
      text: "OK, that's all, that is all thanks",
      speaker: 'caller',
      final: true,
    });
    await leg.ended;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    expect(leg.spoken.at(-1)).toBe('Thanks +14155550100, goodbye');
    expect(fx.runs(id)).toEqual([{ action_type: 'hang-up', stage: 'during', status: 'succeeded' }]);
    const transcript = (await fx.events(id)).filter(
      (e) => e.type === 'transcript' && e.data.speaker === 'caller',
    );
    expect(transcript.map((e) => e.data.text)).toEqual(["OK, that's all, that is all thanks"]);
    await expect(fx.manager.transcript(id, { text: 'late', speaker: 'caller', final: true })).rejects.toThrow(
      /not live/,
    );
  });

  it('the caller hanging up mid-gather ends the call and queues the after-call work', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    const agent = await fx.agent('menu', MENU);
    await fx.attach(agent.id, 'log_end', 'test-echo', { text: 'after' }, 'after');
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => leg.spoken.includes('Press 1 or 2'));
    leg.remoteHangup();
    const id = (await fx.store.calls.all())[0]!.id;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    expect(await fx.store.calls.require(id)).toMatchObject({ hangup_by: 'caller', outcome: 'completed' });
    expect(fx.store.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });
    expect(fx.manager.active).toBe(0);
  });

  it('routes by the numbers table, else refuses with 404 when there is no default', async () => {
    fx = callsFixture();
    const agent = await fx.agent('sales', 'steps: [{ say: Sales here }]');
    await fx.store.numbers.create({ number: '+14155550199', agent_id: agent.id });
    const ok = fx.telephony.incoming('+14155550100', '14155550199');
    const leg = await ok.call.answered;
    await leg.ended;
    expect(leg.spoken).toEqual(['Sales here']);
    const refused = fx.telephony.incoming('+14155550100', '999');
    await refused.handled;
    expect(refused.call.rejectedWith).toBe(404);
  });

  it('a caller who hangs up while the before stage runs is never answered', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    const agent = await fx.agent('menu', MENU);
    await fx.attach(agent.id, 'slow', 'test-hang', {}, 'before');
    const { call, handled } = fx.telephony.incoming('+14155550100', '100');
    setTimeout(() => call.callerCancels(), 50);
    await handled;
    expect(call.state).toBe('cancelled');
    const row = (await fx.store.calls.all())[0]!;
    expect(row).toMatchObject({ state: 'ended', outcome: 'cancelled', answered_at: null });
  });

  it('a call whose agent plan cannot be read is refused and its row closed as failed, not left ringing', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    const agent = await fx.agent('menu', MENU);
    const def = await fx.attach(agent.id, 'quote', 'custom-reply', { text: 'x' }, 'during', [
      { kind: 'tool' },
    ]);
    // A type this build no longer registers: reading the agent's plan fails once the row exists.
    fx.store.db.prepare('UPDATE action_definitions SET type = ? WHERE id = ?').run('retired-type', def.id);
    const { call, handled } = fx.telephony.incoming('+14155550100', '100');
    await handled;
    expect(call.rejectedWith).toBe(480);
    const rows = await fx.store.calls.all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'ended', outcome: 'failed', end_reason: 'error' });
    expect(fx.manager.active).toBe(0);
  });

  it('drain hangs up live calls after the drain timeout and writes their end', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    await fx.agent('menu', MENU.replace('timeout_ms: 1500', 'timeout_ms: 60000'));
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => leg.spoken.includes('Press 1 or 2'));
    await fx.manager.drain();
    expect(leg.active).toBe(false);
    expect((await fx.store.calls.all())[0]).toMatchObject({ state: 'ended' });
    const late = fx.telephony.incoming('+14155550100', '100');
    await late.handled;
    expect(late.call.rejectedWith).toBe(480);
  });

  it('a scripted transfer step runs the cold-transfer type: REFER accepted, the call is handed off', async () => {
    fx = callsFixture({ default_agent: 'xfer' });
    await fx.agent(
      'xfer',
      `
steps:
  - say: Transferring you.
  - transfer: { target: 'sip:desk@127.0.0.1:5099', mode: cold, on_failure: failed }
  - say: still here
  - id: failed
    hangup: { say: The transfer failed. }
`,
    );
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    const id = (await fx.store.calls.all())[0]!.id;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    expect(leg.referred).toEqual(['sip:desk@127.0.0.1:5099']);
    expect(leg.spoken).toEqual(['Transferring you.']);
    expect(await fx.store.calls.require(id)).toMatchObject({
      outcome: 'transferred',
      transfer: { kind: 'cold', result: 'completed' },
    });
    const states = (await fx.events(id)).filter((e) => e.type === 'state').map((e) => e.data.to);
    expect(states).toEqual(['answered', 'handed-off', 'ended']);
  });

  it('a transfer that fails returns the caller to the script (on_failure)', async () => {
    fx = callsFixture({ default_agent: 'xfer' });
    await fx.agent(
      'xfer',
      `
steps:
  - transfer: { target: 'sip:desk@127.0.0.1:5099', mode: cold, options: { refer: false }, on_failure: failed }
  - id: failed
    hangup: { say: The transfer failed. }
`,
    );
    fx.telephony.nextDial = 'busy';
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    expect(leg.spoken).toEqual(['The transfer failed.']);
    expect(fx.telephony.dials).toHaveLength(1);
  });
});

describe('an agent that hangs up after the caller has gone', () => {
  it('leaves the end to the caller: outcome completed, hung up by the caller', async () => {
    fx = callsFixture({ default_agent: 'bye' });
    // The script's hang-up step runs as soon as the interrupted line returns, before the leg's own
    // hang-up event has ended the session.
    await fx.agent('bye', `steps:\n  - say: 'A long line the caller will not wait for'\n  - hangup: true\n`);
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => leg.spoken.length === 1);
    leg.remoteHangup();
    const row = (await fx.store.calls.all())[0]!;
    await until(async () => (await fx.store.calls.require(row.id)).state === 'ended');
    expect(await fx.store.calls.require(row.id)).toMatchObject({
      outcome: 'completed',
      end_reason: 'normal',
      hangup_by: 'caller',
    });
  });
});

describe('the end of a call as clients see it', () => {
  it('the row says ended only together with its end: outcome, ended_at, who hung up', async () => {
    fx = callsFixture({ default_agent: 'menu' });
    await fx.agent('menu', MENU);
    const seen: Array<{ state: string; outcome: string | null; ended_at: string | null }> = [];
    const stop = fx.store.feed.subscribe((c) => {
      if (c.kind === 'call')
        seen.push({ state: c.call.state, outcome: c.call.outcome, ended_at: c.call.ended_at });
    });
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => leg.spoken.length === 1);
    leg.remoteHangup();
    const row = (await fx.store.calls.all())[0]!;
    await until(async () => (await fx.store.calls.require(row.id)).state === 'ended');
    expect(await fx.store.calls.require(row.id)).toMatchObject({ outcome: 'completed', hangup_by: 'caller' });
    await until(() => seen.some((s) => s.state === 'ended'));
    stop();
    for (const s of seen.filter((x) => x.state === 'ended')) {
      expect(s.outcome).toBe('completed');
      expect(s.ended_at).not.toBeNull();
    }
  });
});

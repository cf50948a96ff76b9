import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import pino from 'pino';
import { cliHarness } from './cli-harness.js';
import { ensureDemoAgent } from '../../../src/calls/demo-agent.js';
import { cliEngine } from '../../../src/cli/commands/actions.js';
import { testConfig } from '../../helpers/temp.js';

let h: ReturnType<typeof cliHarness>;
beforeEach(() => {
  h = cliHarness();
});
afterEach(() => h.cleanup());

/** The demo agent as a first start creates it, with a transfer target so key 1 transfers. */
async function createDemoAgent(): Promise<void> {
  const store = h.openStore();
  await ensureDemoAgent(
    store,
    cliEngine(store, testConfig(h.dir)),
    'sip:desk@127.0.0.1',
    pino({ level: 'silent' }),
  );
  await store.close();
}

function script(name: string, yaml: string): string {
  const file = path.join(h.dir, name);
  writeFileSync(file, yaml);
  return file;
}

type Printed = { runs: Array<Record<string, unknown>>; agent: Array<Record<string, unknown>> };

describe('callwright simulate with a scripted agent', () => {
  it("drives the demo agent's own steps: key 2 leads to the voicemail action and the goodbye", async () => {
    await createDemoAgent();
    const file = script(
      'key2.yaml',
      'call: { from: "+14155550100" }\nevents:\n  - answered\n  - dtmf: "2"\n',
    );
    const res = await h.run('simulate', 'demo', '--script', file);
    expect(res.code).toBe(0);
    const out = parse(res.out.join('\n')) as Printed;
    expect(out.agent).toEqual([
      { step: 1, on: 'answered', say: 'Hello, and welcome to Callwright.' },
      {
        step: 1,
        on: 'answered',
        gather: {
          input: 'dtmf',
          prompt: 'Press 1 for a person, 2 to leave a voicemail, 3 to hear your number.',
          max_digits: 1,
          timeout_ms: 6000,
          inter_digit_timeout_ms: 3000,
        },
      },
      { step: 2, on: 'dtmf 2', collect: { choice: '2', last_input: 'dtmf' } },
      { step: 2, on: 'dtmf 2', action: { name: 'demo_voicemail', ok: true } },
      { step: 2, on: 'dtmf 2', hangup: { say: 'Thank you for your message. Goodbye.' } },
    ]);
    expect(out.runs).toContainEqual(
      expect.objectContaining({
        step: 2,
        action: 'demo_voicemail',
        type: 'leave-voicemail',
        status: 'succeeded',
      }),
    );
  });

  it('takes caller silence, reads the number back on key 3 and transfers on key 1', async () => {
    await createDemoAgent();
    const file = script(
      'keys.yaml',
      'call: { from: "+14155550100" }\nevents:\n  - answered\n  - dtmf: "3"\n  - dtmf: "1"\n  - no_input: true\n',
    );
    const res = await h.run('simulate', 'demo', '--script', file);
    expect(res.code).toBe(0);
    const out = parse(res.out.join('\n')) as Printed;
    const said = out.agent.filter((s) => 'say' in s || 'hangup' in s || 'action' in s);
    expect(said.map((s) => [s.step, s.say ?? s.hangup ?? (s.action as { name: string }).name])).toEqual([
      [1, 'Hello, and welcome to Callwright.'],
      [2, 'You are calling from + 1 4 1 5 5 5 5 0 1 0 0.'],
      [3, 'Please hold while I transfer you.'],
      [3, 'demo_transfer'],
      [4, { say: 'Thank you for calling. Goodbye.' }],
    ]);
    expect(out.runs.map((r) => [r.step, r.action, r.type])).toContainEqual([
      3,
      'demo_transfer',
      'warm-transfer',
    ]);
  });

  it('prints repeated values in full, never as YAML anchors and aliases', async () => {
    const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/actions');
    await h.run('agents', 'import', path.join(fixtures, 'agent-support.yaml'));
    const res = await h.run('simulate', 'support', '--script', path.join(fixtures, 'script-vip.yaml'));
    expect(res.code).toBe(0);
    const text = res.out.join('\n');
    expect(text).not.toMatch(/[&*]a\d+\b/);
    const tagged = (parse(text) as Printed).runs.find((r) => r.action === 'tag_callback');
    // The payload's tag list and the outputs' added list are one array in memory: both print as values.
    expect(tagged).toMatchObject({ payload: { tags: ['callback'] }, outputs: { added: ['callback'] } });
  });
});

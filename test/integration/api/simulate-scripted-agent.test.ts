import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h.close());

describe('POST /agents/:id/simulate with a scripted agent', () => {
  it("runs the agent's own steps, as the CLI does: the key pressed takes the scripted branch", async () => {
    const agent = await h.call('POST', '/agents', {
      name: 'menu',
      kind: 'scripted',
      config: {
        steps: [
          { say: 'Welcome.' },
          { gather: { input: 'dtmf', prompt: 'Press 1 or 2.', max_digits: 1 } },
          {
            branch: [
              { dtmf: '1', goto: 'one' },
              { dtmf: '2', goto: 'two' },
            ],
          },
          { id: 'one', hangup: { say: 'You chose one.' } },
          { id: 'two', hangup: { say: 'You chose two.' } },
        ],
      },
    });
    expect(agent.status).toBe(201);
    const res = await h.call('POST', `/agents/${agent.body.id}/simulate`, {
      events: ['answered', { dtmf: '2' }],
    });
    expect(res.status).toBe(200);
    // What the agent says: its say steps and the goodbye of the hang-up it reaches.
    const said = (res.body.agent as Array<{ say?: string; hangup?: { say?: string } }>).flatMap((s) =>
      [s.say, s.hangup?.say].filter((t): t is string => typeof t === 'string'),
    );
    expect(said).toContain('Welcome.');
    expect(said).toContain('You chose two.');
    expect(said).not.toContain('You chose one.');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore } from '../../helpers/temp.js';
import type { Store } from '../../../src/store/store.js';
import { callSnapshot } from '../../../src/integrations/call-snapshot.js';
import { callTranscript } from '../../../src/integrations/llm/call-transcript.js';

let t: { store: Store; cleanup: () => unknown };
beforeEach(() => {
  t = tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('call transcript for integrations', () => {
  it("leaves a recogniser's interim lines out of webhook, CRM and LLM transcripts", async () => {
    const agent = await t.store.agents.create({ name: 'support', kind: 'scripted' });
    const call = await t.store.calls.create({
      direction: 'inbound',
      from_number: '+14155550100',
      to_number: '+14155550199',
      agent_id: agent.id,
      state: 'answered',
      started_at: new Date().toISOString(),
    });
    const say = async (speaker: string, text: string, final?: boolean): Promise<void> => {
      await t.store.callEvents.append(call.id, 'transcript', {
        speaker,
        text,
        ...(final === undefined ? {} : { final }),
      });
    };
    await say('caller', 'Where is', false);
    await say('caller', 'Where is my order?', true);
    await say('agent', 'Let me check', false);
    await say('agent', 'Let me check that.');
    await say('caller', '   ', true);

    expect((await callSnapshot(t.store, call.id, {})).transcript.map((l) => [l.speaker, l.text])).toEqual([
      ['caller', 'Where is my order?'],
      ['agent', 'Let me check that.'],
      ['caller', '   '],
    ]);
    expect(await callTranscript(t.store, call.id)).toEqual([
      { speaker: 'caller', text: 'Where is my order?' },
      { speaker: 'agent', text: 'Let me check that.' },
    ]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { importAgent } from '../../../src/agent/agent-import.js';
import type { CallwrightError } from '../../../src/errors.js';
import { testActionEngine } from '../../helpers/action-engine.js';
import { tempStore, testConfig } from '../../helpers/temp.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup() {
  const t = tempStore();
  cleanups.push(t.cleanup);
  return { store: t.store, engine: testActionEngine(t.store, testConfig(t.dir)) };
}

async function importError(speech: unknown): Promise<CallwrightError> {
  const { store, engine } = setup();
  try {
    await importAgent(store, engine, { agent: { name: 'a', kind: 'scripted', speech } });
  } catch (err) {
    return err as CallwrightError;
  }
  throw new Error('import succeeded');
}

describe("an agent's speech settings on import", () => {
  it('are stored and read back', async () => {
    const { store, engine } = setup();
    const speech = { recognizer: 'deepgram', synthesizer: 'openai', hints: ['invoice'], barge_in: false };
    const report = await importAgent(store, engine, { agent: { name: 'a', kind: 'scripted', speech } });
    expect((await store.agents.get(report.agent.id))?.speech).toEqual(speech);
  });

  it.each([
    [{ recognizer: 'whisperx' }, 'agent.speech.recognizer', 'pocketsphinx'],
    [{ end_of_turn_ms: 5 }, 'agent.speech.end_of_turn_ms', '100'],
    [{ barge_in: 'yes' }, 'agent.speech.barge_in', 'boolean'],
    [{ on_failure: { then: 'transfer' } }, 'agent.speech.on_failure.target', 'transfer target'],
    [{ language: 'english please' }, 'agent.speech.language', 'BCP 47'],
  ])('%j is refused naming %s', async (speech, field, expected) => {
    const err = await importError(speech);
    expect(err.code).toBe('VALIDATION');
    const issue = err.issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(err.issues)).toBeDefined();
    expect(issue?.expected).toContain(expected);
  });
});

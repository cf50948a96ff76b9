/**
 * The phrases greeting classifier on the offline recogniser (pocketsphinx), on generated calls
 * (test/helpers/amd-corpus.ts), driven frame by frame as a call's detection runs it: short recorded
 * messages that the speech rules alone decide `human` (the bare carrier message, "Hi, you've reached
 * Sam.") become `machine` with reason `transcript`, then `machine-ready` after the greeting's end; the
 * people stay `human`, with the classifier's verdict in the evidence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAmdSettings } from '../../../src/calls/amd/amd-settings.js';
import { planClassifier } from '../../../src/calls/amd/amd-classifier-settings.js';
import { AnsweringMachineDetector } from '../../../src/calls/amd/answering-machine-detector.js';
import type { PocketsphinxRecognizer } from '../../../src/speech/recognition/pocketsphinx-recognizer.js';
import {
  amdClassifierExtras,
  amdCorpus,
  CARRIER_MESSAGES,
  runDetector,
  type AmdSample,
} from '../../helpers/amd-corpus.js';
import { offlineRecognizer, runClassified } from '../../helpers/amd-classified-run.js';
import { tempDir } from '../../helpers/temp.js';

const tmp = tempDir('callwright-amd-phrases-');
const settings = parseAmdSettings({});
// Generous: a loaded machine may take seconds to start the decoder; timing is the bench's business.
const plan = planClassifier({ kind: 'phrases', timeout_ms: 30_000 })!;
let recognizer: PocketsphinxRecognizer;
const samples = new Map<string, AmdSample>();

beforeAll(async () => {
  const all = [...amdCorpus(tmp.dir), ...amdClassifierExtras(tmp.dir)];
  for (const s of all) samples.set(s.name, s);
  recognizer = offlineRecognizer();
  // The decoder process and its model start here, not inside the first call's wait.
  await recognizer.decode(new Int16Array(8000), { phrases: [] });
}, 60_000);

afterAll(async () => {
  await recognizer?.close();
  tmp.cleanup();
});

describe('the phrases greeting classifier (pocketsphinx) on generated calls', () => {
  it.each(['carrier-en-029-c0', 'short-en-us', 'short-en-gb'])(
    '%s: human to the speech rules, machine (transcript) with the classifier',
    async (name) => {
      const sample = samples.get(name)!;
      if (name.startsWith('carrier'))
        expect(sample.description).toContain(`"${CARRIER_MESSAGES[0]}" no beep`);
      const alone = runDetector(sample, new AnsweringMachineDetector(settings));
      expect(alone.first).toMatchObject({ outcome: 'human', reason: 'after-greeting-silence' });

      const run = await runClassified(sample, settings, plan, recognizer);
      expect(run.first, JSON.stringify(run.first?.evidence.classifier)).toMatchObject({
        outcome: 'machine',
        reason: 'transcript',
      });
      expect(run.first!.evidence.classifier).toMatchObject({ kind: 'phrases', verdict: 'machine' });
      // The wait for the transcript is in the decision time.
      expect(run.first!.evidence.decisionMs).toBe(
        alone.first!.evidence.decisionMs + run.first!.evidence.classifier!.waitedMs,
      );
      expect(run.ready).toMatchObject({ outcome: 'machine-ready' });
      expect(run.ready!.evidence.decisionMs).toBeGreaterThanOrEqual(sample.greetingEndMs!);
    },
    30_000,
  );

  it.each(['human-en-us-h0', 'human-en-gb-h1', 'human-en-us+f3-h2', 'human-en-029-h3'])(
    '%s: still human, with the verdict',
    async (name) => {
      const run = await runClassified(samples.get(name)!, settings, plan, recognizer);
      expect(run.first).toMatchObject({ outcome: 'human', reason: 'after-greeting-silence' });
      expect(run.first!.evidence.classifier).toMatchObject({ kind: 'phrases', verdict: 'human' });
    },
    30_000,
  );

  it('a long greeting is decided machine by the speech rules: the classifier is not asked', async () => {
    const run = await runClassified(samples.get('machine-en-us-g1-beep')!, settings, plan, recognizer);
    expect(run.first).toMatchObject({ outcome: 'machine' });
    expect(run.first!.evidence.classifier).toBeUndefined();
    expect(run.waitMs).toBeUndefined();
  }, 30_000);
});

/**
 * The greeting classifier of kind llm: the offline recogniser (pocketsphinx) transcribes a generated
 * greeting, the transcript goes to a local server that speaks OpenAI's chat-completions wire format
 * (test/helpers/llm-providers), and the verdict comes back. Checks the request as sent, the strict
 * reading of the reply, an error body, a wrong key and a timeout: each failure is a null verdict with
 * the reason, never an exception (the heuristic decision stands).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planClassifier } from '../../../src/calls/amd/amd-classifier-settings.js';
import { GreetingClassifier } from '../../../src/calls/amd/greeting-classifier.js';
import { AMD_FRAME_SAMPLES } from '../../../src/calls/amd/answering-machine-detector.js';
import { OpenAiChatClient } from '../../../src/integrations/llm/chat-client.js';
import { PocketsphinxRecognizer } from '../../../src/speech/recognition/pocketsphinx-recognizer.js';
import { amdClassifierExtras, type AmdSample } from '../../helpers/amd-corpus.js';
import {
  startChatServer,
  type ChatServer,
  type ReplySpec,
} from '../../helpers/llm-providers/openai-chat-server.js';
import { tempDir } from '../../helpers/temp.js';

const tmp = tempDir('callwright-amd-llm-');
let llm: ChatServer;
let recognizer: PocketsphinxRecognizer;
let greeting: AmdSample;
let replies: ReplySpec[] = [];

beforeAll(async () => {
  greeting = amdClassifierExtras(tmp.dir).find((s) => s.name === 'short-en-us')!;
  llm = await startChatServer({ apiKey: 'sk-test', reply: () => replies.shift() ?? { content: '' } });
  recognizer = new PocketsphinxRecognizer({
    python: '/usr/bin/python3',
    modelDir: '/usr/share/pocketsphinx/model/en-us',
    decoders: 1,
  });
  // The decoder process and its model start here, not inside a classification's timeout.
  await recognizer.decode(new Int16Array(8000), { phrases: [] });
}, 60_000);

beforeEach(() => {
  replies = [];
  llm.requests.length = 0;
});

afterAll(async () => {
  await recognizer?.close();
  await llm?.close();
  tmp.cleanup();
});

/** The greeting up to where the speech rules would say human (its end + 800 ms), then classify. */
async function classify(timeoutMs = 20_000, apiKey = 'sk-test') {
  const plan = planClassifier({ kind: 'llm', timeout_ms: timeoutMs, llm_model: 'amd-small' })!;
  const client = new OpenAiChatClient({
    base_url: llm.url,
    api_key: apiKey,
    model: 'amd-small',
    timeout_ms: 30_000,
  });
  const classifier = new GreetingClassifier(plan, { recognizer, language: 'en-US', llm: client });
  classifier.start();
  const atMs = greeting.greetingEndMs! + 800;
  for (
    let at = 0;
    at < atMs * 8 && at + AMD_FRAME_SAMPLES <= greeting.samples.length;
    at += AMD_FRAME_SAMPLES
  )
    classifier.write(greeting.samples.slice(at, at + AMD_FRAME_SAMPLES));
  return classifier.classify(atMs);
}

describe('greeting classifier, kind llm (local OpenAI-compatible server)', () => {
  it('sends the transcript in one JSON-mode chat completion and reads the verdict', async () => {
    replies = [{ content: '{"verdict": "machine"}' }];
    const result = await classify();
    expect(result).toMatchObject({ kind: 'llm', verdict: 'machine', model: 'amd-small' });
    expect(result.transcript).toMatch(/reached/);
    expect(llm.requests).toHaveLength(1);
    const req = llm.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({
      model: 'amd-small',
      temperature: 0,
      max_tokens: 20,
      response_format: { type: 'json_object' },
    });
    const messages = req.body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]!.content).toContain('"screening"');
    expect(messages[1]!.content).toBe(`Transcript: ${JSON.stringify(result.transcript)}`);
  }, 30_000);

  it.each([
    ['{"verdict": "screening"}', 'screening'],
    ['```json\n{"verdict": "human"}\n```', 'human'],
  ])(
    'reply %j: %s',
    async (content, verdict) => {
      replies = [{ content }];
      expect(await classify()).toMatchObject({ verdict });
    },
    30_000,
  );

  it.each(['machine', '{"verdict": "robot"}', '{"verdict": "machine", "confidence": 0.9}', '["machine"]'])(
    'a reply outside {"verdict": …} (%j) is no verdict, with the reply in the error',
    async (content) => {
      replies = [{ content }];
      const result = await classify();
      expect(result).toMatchObject({ kind: 'llm', verdict: null });
      expect(result.error).toContain('is not {"verdict": "human" | "machine" | "screening"}');
      expect(result.error).toContain(JSON.stringify(content).slice(1, 10));
      expect(result.transcript).toMatch(/reached/);
    },
    30_000,
  );

  it("an error body is no verdict, with the provider's status and message", async () => {
    replies = [{ error: { status: 500, message: 'The server had an error while processing your request.' } }];
    const result = await classify();
    expect(result).toMatchObject({ verdict: null });
    expect(result.error).toMatch(/500/);
    expect(result.error).toContain('The server had an error');
  }, 30_000);

  it('a wrong key (401 from the server) is no verdict', async () => {
    const result = await classify(20_000, 'sk-wrong');
    expect(result).toMatchObject({ verdict: null });
    expect(result.error).toMatch(/401/);
  }, 30_000);

  it('no answer within timeout_ms: no verdict, and the request is given up', async () => {
    replies = [{ content: '{"verdict": "machine"}', firstTokenDelayMs: 15_000 }];
    const started = Date.now();
    const result = await classify(3000);
    expect(result).toMatchObject({ verdict: null });
    expect(result.error).toBe('the LLM did not answer within 3000 ms');
    expect(Date.now() - started).toBeLessThan(12_000);
    await expect.poll(() => llm.requests[0]?.clientClosedEarly, { timeout: 5000 }).toBe(true);
  }, 30_000);
});

import type { ChatClient } from '../../integrations/llm/chat-client.js';
import type { RecognitionStream, SpeechRecognizer } from '../../speech/speech-recognizer.js';
import type { AmdClassifierPlan } from './amd-classifier-settings.js';
import type { AmdClassifierEvidence } from './amd-decision.js';
import { classifyByPhrases, type GreetingVerdict } from './greeting-verdict.js';
import { classifyByLlm } from './llm-greeting-verdict.js';

const AMD_SAMPLE_RATE = 8000;

export interface GreetingClassifierDeps {
  recognizer: SpeechRecognizer;
  /** BCP 47 tag of the greeting's language (the agent's). */
  language: string;
  /** kind llm: the chat client asked (the llm section's, with amd.classifier.llm_model). */
  llm?: ChatClient;
}

/**
 * The greeting classifier on one call (docs/amd.md "The greeting classifier"): the recogniser hears
 * the callee from the answer on (one utterance, from the first frame); when the detector's rules say
 * `human`, the utterance ends there, its transcript is matched against the machine and screening
 * phrases, or handed to the LLM, within `timeout_ms`. Never throws: a failure is a null verdict with
 * the error, and the heuristic decision stands.
 */
export class GreetingClassifier {
  private stream: RecognitionStream | undefined;
  private readonly heard: string[] = [];
  private listening: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private readonly controller = new AbortController();

  constructor(
    private readonly plan: AmdClassifierPlan,
    private readonly deps: GreetingClassifierDeps,
  ) {}

  /** Starts the recogniser (a recogniser that cannot start makes `classify` report why). */
  start(): void {
    try {
      const stream = this.deps.recognizer.start({
        language: this.deps.language,
        sampleRate: AMD_SAMPLE_RATE,
        // Spotting, not forcing: a person's "hello, who is this?" must not come out as a phrase.
        hints: { phrases: [...this.plan.machinePhrases, ...this.plan.screeningPhrases], spot: true },
        signal: this.controller.signal,
      });
      stream.speechStarted(0);
      this.stream = stream;
      this.listening = this.collect(stream);
    } catch (err) {
      this.failure = err as Error;
    }
  }

  /** The callee's audio, every 20 ms frame from the answer on. */
  write(frame: Int16Array): void {
    this.stream?.write(frame);
  }

  /**
   * The `human` rule fired `atMs` into the call: what was said up to then, and what it is. Bounded by
   * the plan's `timeout_ms` (transcript and LLM together).
   */
  async classify(atMs: number): Promise<Omit<AmdClassifierEvidence, 'waitedMs'>> {
    const kind = this.plan.kind;
    const stream = this.stream;
    this.stream = undefined;
    stream?.speechEnded(atMs);
    stream?.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.plan.timeoutMs);
    });
    try {
      if ((await Promise.race([this.listening, timeout])) === 'timeout') {
        return this.failed(`no transcript within ${this.plan.timeoutMs} ms`);
      }
      if (this.failure) return this.failed(`the recogniser failed: ${this.failure.message}`);
      const transcript = this.heard.join(' ').trim();
      let verdict: GreetingVerdict;
      if (kind === 'phrases') {
        verdict = classifyByPhrases(transcript, this.plan.machinePhrases, this.plan.screeningPhrases);
      } else if (!transcript) {
        // Nothing intelligible: no question worth a request.
        verdict = { verdict: 'human' };
      } else {
        if (!this.deps.llm) return this.failed('no LLM: set llm.base_url and llm.model', transcript);
        const asked = classifyByLlm(this.deps.llm, transcript, this.controller.signal);
        const answer = await Promise.race([asked, timeout]);
        if (answer === 'timeout') {
          this.controller.abort();
          asked.catch(() => undefined);
          return this.failed(`the LLM did not answer within ${this.plan.timeoutMs} ms`, transcript);
        }
        verdict = answer;
      }
      return { kind, transcript, ...verdict };
    } catch (err) {
      return this.failed((err as Error).message, this.heard.join(' ').trim());
    } finally {
      clearTimeout(timer);
    }
  }

  /** No classification after all (the call ended, or detection decided otherwise). */
  stop(): void {
    this.stream?.end();
    this.stream = undefined;
    this.controller.abort();
  }

  private async collect(stream: RecognitionStream): Promise<void> {
    try {
      for await (const r of stream.results) if (r.final && r.text) this.heard.push(r.text);
    } catch (err) {
      this.failure = err as Error;
    }
  }

  private failed(error: string, transcript = ''): Omit<AmdClassifierEvidence, 'waitedMs'> {
    return { kind: this.plan.kind, transcript, verdict: null, error };
  }
}

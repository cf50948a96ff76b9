import type { ActionSession } from '../../actions/action-session.js';
import type { CallState } from '../../actions/action-type.js';
import type { CallEvent } from '../../actions/triggers/trigger.js';
import type { Logger } from '../../logging/logger.js';
import type { CallHooks } from '../../observability/metrics-hooks.js';
import type { TemplateRenderer } from '../../templates/template-renderer.js';
import type { CallLeg } from '../../telephony/port.js';
import type { CallRecorder } from '../call-recorder.js';
import type { CallAmdPlan } from './amd-call-settings.js';
import type { AmdDecision, AmdOutcome } from './amd-decision.js';
import { AnswerDetection, type AnswerDetectionVad } from './answer-detection.js';
import { GreetingClassifier, type GreetingClassifierDeps } from './greeting-classifier.js';

/** What the detection flow needs of the call session. */
export interface AmdCallHost {
  readonly log: Logger;
  readonly recorder: CallRecorder;
  readonly actions: ActionSession;
  readonly state: CallState;
  /** Aborted when the call ends. */
  readonly controller: AbortController;
  /** Fires the session's triggers (the `amd` trigger); resolves once the actions it ran are done. */
  engineEvent(event: CallEvent): Promise<unknown>;
  /** Speaks to the callee; `interrupted` is set when not all of it was heard. */
  sayLine(text: string, options: { bargeIn: boolean }): Promise<{ interrupted?: string }>;
  hangup(reason: string): Promise<void>;
}

export interface AmdCallFlowDeps {
  templates: TemplateRenderer;
  hooks?: CallHooks;
  vad?: AnswerDetectionVad;
  /** What the greeting classifier needs (the plan's `classifier` says whether it runs); else a reason. */
  classifier?: GreetingClassifierDeps | { unavailable: string };
}

/**
 * Answering-machine detection on an answered call out (docs/amd.md): listens to the callee until the
 * detector has decided and acts on each decision. A person (or an uncertain answer, by default) lets
 * the agent start: resolves true. After `machine` it waits for `machine-ready`, then says the agent's
 * voicemail drop and hangs up (disposition `voicemail-left`), or hangs up (`machine`); fax and silence
 * hang up by default (`fax`, `silence`). Each decision is an `amd` call event, the call's `amd` field,
 * a metric, the `call.amd` variable and an `amd` trigger, fired before the call acts on it.
 */
export async function detectAnswer(
  host: AmdCallHost,
  leg: CallLeg,
  plan: CallAmdPlan,
  deps: AmdCallFlowDeps,
): Promise<boolean> {
  const decisions: AmdDecision[] = [];
  let wake = (): void => undefined;
  const detection = new AnswerDetection(
    leg,
    plan,
    (d) => {
      decisions.push(d);
      wake();
    },
    host.log,
    deps.vad,
    greetingClassifier(host, plan, deps),
  );
  const stop = (): void => detection.stop();
  host.controller.signal.addEventListener('abort', stop, { once: true });
  try {
    await detection.start();
  } catch (err) {
    host.controller.signal.removeEventListener('abort', stop);
    if (host.state !== 'answered' || !leg.active) return false;
    host.log.error({ err }, 'answering-machine detection could not start');
    host.recorder.event('amd-error', { message: (err as Error).message });
    return true;
  }
  const next = async (): Promise<AmdDecision | undefined> => {
    while (!decisions.length && !detection.finished)
      await Promise.race([new Promise<void>((r) => (wake = r)), detection.done]);
    return decisions.shift();
  };
  try {
    for (let decision = await next(); decision; decision = await next()) {
      await decided(host, deps, decision, detection.elapsedMs);
      if (!leg.active || host.state !== 'answered') return false;
      if (decision.outcome === 'machine') continue;
      return await afterDecision(host, deps, leg, decision.outcome, plan);
    }
    return false;
  } finally {
    detection.stop();
    host.controller.signal.removeEventListener('abort', stop);
  }
}

async function decided(
  host: AmdCallHost,
  deps: AmdCallFlowDeps,
  decision: AmdDecision,
  analysedMs: number,
): Promise<void> {
  const { outcome, reason, evidence } = decision;
  const c = evidence.classifier;
  // The transcript is the callee's words (PII): the event and the call record hold it, logs do not.
  const classifier = c && { kind: c.kind, verdict: c.verdict, phrase: c.phrase, waitedMs: c.waitedMs };
  host.log.info(
    { outcome, reason, decisionMs: evidence.decisionMs, ...(classifier ? { classifier } : {}) },
    'answering-machine detection',
  );
  // The decision that ended the hold (a later machine-ready carries the same evidence).
  const endedHold = c && (outcome === 'human' || reason === 'transcript' || reason === 'call-screening');
  if (c && endedHold) deps.hooks?.amdClassifier?.(c.kind, c.verdict ?? 'error');
  if (c?.error && outcome === 'human') {
    // Quoted text in the error may be the callee's words (an LLM reply that echoed the transcript).
    const error = c.error.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
    host.log.warn({ kind: c.kind, error }, 'the greeting classifier failed; the person decision stands');
    host.recorder.event('amd-classifier', { kind: c.kind, error: c.error });
  }
  host.recorder.event('amd', { outcome, reason, evidence, analysed_ms: analysedMs });
  // On the row before the `amd` event fires triggers that may read it.
  await host.recorder.update({ amd: { outcome, reason, evidence } });
  deps.hooks?.amd(outcome, evidence.decisionMs);
  host.actions.amdOutcome = outcome;
  await host.engineEvent({ type: 'amd', outcome, reason });
}

function greetingClassifier(
  host: AmdCallHost,
  plan: CallAmdPlan,
  deps: AmdCallFlowDeps,
): GreetingClassifier | undefined {
  if (!plan.classifier) return undefined;
  if (deps.classifier && 'recognizer' in deps.classifier)
    return new GreetingClassifier(plan.classifier, deps.classifier);
  const why = deps.classifier?.unavailable ?? 'no speech services';
  host.log.warn({ error: why }, 'the greeting classifier cannot run; detection goes on without it');
  host.recorder.event('amd-classifier', { kind: plan.classifier.kind, error: why });
  return undefined;
}

/** What a final decision does: true = the agent starts; otherwise the call is hung up here. */
async function afterDecision(
  host: AmdCallHost,
  deps: AmdCallFlowDeps,
  leg: CallLeg,
  outcome: Exclude<AmdOutcome, 'machine'>,
  plan: CallAmdPlan,
): Promise<boolean> {
  switch (outcome) {
    case 'human':
      return true;
    case 'uncertain':
    case 'fax':
    case 'silence': {
      const followUp = { uncertain: plan.onUncertain, fax: plan.onFax, silence: plan.onSilence }[outcome];
      if (followUp === 'agent') return true;
      await hangUp(host, leg, outcome);
      return false;
    }
    case 'machine-ready': {
      const left = plan.voicemailDrop ? await dropVoicemail(host, deps, plan.voicemailDrop) : false;
      await hangUp(host, leg, left ? 'voicemail-left' : 'machine');
      return false;
    }
  }
}

/** Says the agent's voicemail drop (after the beep); true when the machine heard all of it. */
async function dropVoicemail(host: AmdCallHost, deps: AmdCallFlowDeps, template: string): Promise<boolean> {
  let text: string;
  try {
    text = deps.templates.render(template, host.actions.scope(), 'amd.voicemail_drop');
  } catch (err) {
    // Never read template syntax out to someone's mailbox: no message, and the call says why.
    host.log.error({ err }, 'the voicemail drop template failed; no message left');
    host.recorder.event('voicemail-drop', { error: (err as Error).message, completed: false });
    return false;
  }
  const spoken = await host.sayLine(text, { bargeIn: false });
  host.recorder.event('voicemail-drop', { text, completed: !spoken.interrupted });
  return !spoken.interrupted;
}

async function hangUp(host: AmdCallHost, leg: CallLeg, disposition: string): Promise<void> {
  await host.recorder.update({ call_disposition: disposition });
  host.recorder.event('disposition', { disposition, by: 'amd' });
  // A callee that hung up first (during the voicemail drop) ends the call by its own hangup event.
  if (leg.active) await host.hangup(`amd ${disposition}`);
}

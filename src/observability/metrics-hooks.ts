import type { InboundCall } from '../telephony/port.js';

/**
 * What the call layer, the action engine and the outbox report to metrics, as plain callbacks. The
 * layers import these types only; prom-client stays in `metrics.ts`. Each callback is a counter
 * increment or a histogram observation: nothing on the call path waits for metrics.
 */

/** One turn's latency breakdown (`turn` call event): ms after the end of the caller's speech. */
export interface TurnReport {
  /** The turn started from a line sent over the API, not from heard speech (no recogniser time). */
  textOnly: boolean;
  finalTranscript?: number;
  firstToken?: number;
  firstSentence?: number;
  firstAudio?: number;
  firstPacket?: number;
}

/** The call a turn belongs to: which providers served it (bounded names, safe as labels). */
export interface TurnProviders {
  agentKind: string;
  recognizer: string;
  synthesizer: string;
}

/** Reported by the call layer (CallRuntime, CallManager, CallSession). */
export interface CallHooks {
  /**
   * Wraps the inbound handler the call layer installs on the backend, to count INVITEs by result
   * (the handler and the call it is given behave as before).
   */
  inbound(handler: (call: InboundCall) => void | Promise<void>): (call: InboundCall) => void | Promise<void>;
  /** A call ended, with its typed cause (HangupCause). */
  callEnded(direction: 'inbound' | 'outbound', cause: string): void;
  /**
   * A transfer finished: its mode, method and result, and what became of the REFER when one was
   * attempted (the port's ReferOutcome name, `skipped`/`error` when none was sent).
   */
  transfer(outcome: { mode: string; method: string; result: string }, refer?: string): void;
  /** A turn was recorded (`turn` call event). */
  turn(providers: TurnProviders, report: TurnReport): void;
  /** Answering-machine detection decided (`amd` call event): the outcome and when, in ms after the answer. */
  amd(outcome: string, decisionMs: number): void;
  /** The greeting classifier answered on a held `human`: its kind and verdict (`error` when it failed). */
  amdClassifier?(kind: string, verdict: string): void;
}

/** A finished action run (`action_runs` row completed). */
export interface ActionRunReport {
  actionType: string;
  status: string;
  durationMs: number;
}

/** What AdmissionControl.stats() returns (the admission part). */
export interface AdmissionStats {
  active: number;
  draining: boolean;
  /** Refusals since start, by reason: concurrency, rate, overload, rtp-ports, draining. */
  refusals: Record<string, number>;
}

/** What DigestBans.stats() returns (SIP digest brute-force protection). */
export interface DigestBanStats {
  /** Sources banned now. */
  banned: number;
  /** Failed digest authentications since start. */
  failures: number;
  /** Bans imposed since start. */
  bans: number;
}

export interface AdmissionSource {
  stats(): AdmissionStats;
}

export interface DigestBanSource {
  stats(): DigestBanStats;
}

/** Reported by the campaign runner (docs/campaigns.md). */
export interface CampaignHooks {
  /** An attempt was claimed and its call is being placed. */
  attemptStarted(): void;
  /**
   * An attempt ended: its outcome (answered, busy, no-answer, machine, failed), or `released` when
   * the call manager refused it before dialling and the claim was given back.
   */
  attemptFinished(outcome: string): void;
  /**
   * A due contact got its place after waiting `waitMs`; `heldBy` names the limit that last held it
   * (campaign-concurrency, campaign-rate, trunk-concurrency, trunk-rate, server) or `none`.
   */
  slotWait(waitMs: number, heldBy: string): void;
}

/** What the campaign gauges read at scrape time. */
export interface CampaignSource {
  /** Contacts of the campaigns not finished (running, paused), by campaign name and contact status. */
  contactsByStatus():
    | Array<{ campaign: string; status: string; n: number }>
    | Promise<Array<{ campaign: string; status: string; n: number }>>;
  /** Campaigns by status (running, paused, cancelled, completed); both are store queries. */
  campaignsByStatus(): Record<string, number> | Promise<Record<string, number>>;
  /** Campaign calls in flight in this process, by the trunk they count against (`none` without one). */
  inFlightByTrunk(): Record<string, number>;
}

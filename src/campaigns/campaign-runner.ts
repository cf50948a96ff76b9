import type { CallManager } from '../calls/call-manager.js';
import type { CallsSettings } from '../calls/calls-config.js';
import { withinCallingHours } from '../calls/calling-hours.js';
import { AdmissionRefusedError } from '../calls/admission.js';
import { CallwrightError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import { afterAttempt, attemptOutcomeOf, nextCallingHoursOpening } from './attempt-outcome.js';
import { CampaignRepository } from './campaign-repository.js';
import type {
  AttemptOutcome,
  CampaignAttemptRecord,
  CampaignContactRecord,
  CampaignRecord,
} from './campaign-types.js';

/** Margin on the per-second window (see rateAllows). */
const RATE_GUARD_MS = 100;

export interface CampaignRunnerDeps {
  store: Store;
  calls: Pick<CallManager, 'placeCall' | 'get'>;
  settings: Pick<CallsSettings, 'calling_hours' | 'default_timezone'>;
  logger: Logger;
  /** Tick of the loop (default 100 ms): how soon a free place or a due retry is used. */
  tickMs?: number;
  now?: () => Date;
}

/**
 * The one campaign loop of a server. Each tick, for every running campaign: while it has a free place
 * (its `max_concurrent`) and its rate allows (at most `calls_per_second` dial starts in any second), takes
 * the next due contact, checks Do-Not-Call and calling hours in the callee's time zone, claims the
 * attempt in a transaction, then asks the call manager to place the call (which applies the trunk's
 * admission limits). The attempt ends with its call; the retry policy decides what comes next.
 */
export class CampaignRunner {
  readonly repo: CampaignRepository;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Attempts of this process still in flight, by campaign. */
  private readonly live = new Map<string, Set<Promise<void>>>();
  /** Recent dial starts by campaign (ms), for the per-second limit. */
  private readonly starts = new Map<string, number[]>();
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(private readonly deps: CampaignRunnerDeps) {
    this.repo = new CampaignRepository(deps.store.db);
    this.log = deps.logger.child({ component: 'campaigns' });
    this.now = deps.now ?? (() => new Date());
  }

  /** Resolves the attempts a previous process left claimed, then starts the loop. */
  start(): void {
    this.recover();
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 100);
    this.timer.unref();
  }

  /** No new attempts from now on (drain); the ones in flight end with their calls. */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once every attempt in flight has stored its end (call before closing the store). */
  async settled(): Promise<void> {
    await Promise.all([...this.live.values()].flatMap((s) => [...s]));
  }

  /** Live attempts of a campaign in this process. */
  inFlight(campaignId: string): number {
    return this.live.get(campaignId)?.size ?? 0;
  }

  /**
   * Attempts claimed by a process that stopped without storing their end (SIGKILL, power loss):
   * the call row tells how it went when it exists and has ended; otherwise the attempt counts as
   * `failed` (unknown). Either way the retry policy decides; the attempt is never dialled again.
   */
  recover(): void {
    for (const a of this.repo.openAttempts()) {
      const callId =
        a.call_id ??
        (
          this.deps.store.db
            .prepare(`SELECT id FROM calls WHERE json_extract(variables, '$.campaign.attempt_id') = ?`)
            .get(a.id) as { id: string } | undefined
        )?.id;
      const row = callId ? this.deps.store.calls.get(callId) : undefined;
      const result =
        row?.ended_at != null
          ? { ...attemptOutcomeOf(row), callId: row.id }
          : {
              outcome: 'failed' as const,
              reason: 'unknown: the server stopped during the attempt',
              callId: row?.id ?? null,
            };
      this.end(a, result);
      this.log.info({ attemptId: a.id, outcome: result.outcome }, 'attempt left open by a stop resolved');
    }
  }

  /** One pass over the running campaigns. */
  tick(): void {
    if (this.stopping) return;
    try {
      for (const c of this.repo.withStatus('running')) this.step(c);
    } catch (err) {
      this.log.error({ err }, 'campaign tick failed');
    }
  }

  private step(c: CampaignRecord): void {
    const now = this.now();
    if (c.start_at && new Date(c.start_at) > now) return;
    if (c.end_by && new Date(c.end_by) <= now) {
      this.repo.closePending(c.id, 'expired', `not reached before end_by ${c.end_by}`);
      if (!this.inFlight(c.id)) this.complete(c);
      return;
    }
    while (this.inFlight(c.id) < c.max_concurrent && this.rateAllows(c, now.getTime())) {
      const contact = this.repo.nextDue(c.id, now.toISOString());
      if (!contact) break;
      if (!this.admissible(c, contact, now)) continue;
      this.dial(c, contact, now.getTime());
    }
    if (!this.inFlight(c.id) && !this.repo.hasOpen(c.id)) this.complete(c);
  }

  private complete(c: CampaignRecord): void {
    this.repo.setStatus(c.id, 'completed');
    this.log.info({ campaignId: c.id, progress: this.repo.progress(c.id) }, 'campaign completed');
  }

  /**
   * At most `calls_per_second` starts in any second, spaced 1/cps apart. The window is counted as
   * RATE_GUARD_MS longer than a second: a call's INVITE leaves a little after its start (the before
   * stage, the event loop), and that jitter must not push the count a callee sees over the limit.
   */
  private rateAllows(c: CampaignRecord, nowMs: number): boolean {
    const starts = (this.starts.get(c.id) ?? []).filter((t) => t > nowMs - 1000 - RATE_GUARD_MS);
    this.starts.set(c.id, starts);
    const spacing = 1000 / c.calls_per_second;
    const last = starts[starts.length - 1];
    return (
      starts.length < Math.max(1, Math.floor(c.calls_per_second)) &&
      (last === undefined || nowMs - last >= spacing)
    );
  }

  /** DNC and calling hours at each attempt: DNC ends the contact as `dnc`, out of hours defers it. */
  private admissible(c: CampaignRecord, contact: CampaignContactRecord, now: Date): boolean {
    const current = this.deps.store.contacts.get(contact.contact_id);
    if (current?.dnc) {
      this.repo.moveContact(
        contact,
        'dnc',
        null,
        `on the Do-Not-Call list${current.dnc_reason ? ` (${current.dnc_reason})` : ''}; not called`,
      );
      return false;
    }
    const tz = current?.timezone || contact.timezone || this.deps.settings.default_timezone;
    const hours = this.deps.settings.calling_hours;
    if (withinCallingHours(now, tz, hours)) return true;
    const opens = nextCallingHoursOpening(now, tz, hours);
    if (!opens) {
      this.repo.moveContact(
        contact,
        'expired',
        null,
        `calling hours never open (calls.calling_hours, ${tz})`,
      );
      return false;
    }
    const at = opens.toISOString();
    this.repo.moveContact(contact, 'pending', at, `outside calling hours in ${tz}; deferred to ${at}`);
    return false;
  }

  private dial(c: CampaignRecord, contact: CampaignContactRecord, nowMs: number): void {
    const attempt = this.repo.claim(contact);
    this.starts.get(c.id)!.push(nowMs);
    const live = this.live.get(c.id) ?? new Set();
    this.live.set(c.id, live);
    const run = this.place(c, contact, attempt).catch((err: unknown) =>
      this.log.error({ err, attemptId: attempt.id }, 'campaign attempt failed to settle'),
    );
    live.add(run);
    void run.finally(() => live.delete(run));
  }

  private async place(
    c: CampaignRecord,
    contact: CampaignContactRecord,
    a: CampaignAttemptRecord,
  ): Promise<void> {
    let callId: string;
    try {
      ({ call_id: callId } = await this.deps.calls.placeCall({
        agent: c.agent_id,
        to: contact.phone,
        ...(c.trunk ? { trunk: c.trunk } : {}),
        ...(c.from_number ? { from: c.from_number } : {}),
        ...(c.ring_timeout_ms ? { ring_timeout_ms: c.ring_timeout_ms } : {}),
        variables: {
          ...c.variables,
          campaign: { id: c.id, name: c.name, attempt: a.attempt, attempt_id: a.id },
        },
      }));
    } catch (err) {
      return this.refused(a, err);
    }
    this.repo.setCall(a.id, callId);
    const session = this.deps.calls.get(callId);
    if (session) await session.ended;
    // The end is written with the session's end; read what the call row says.
    const row = this.deps.store.calls.get(callId);
    const result = row?.ended_at
      ? attemptOutcomeOf(row)
      : { outcome: 'failed' as const, reason: 'the call ended without a stored end' };
    this.end(a, { ...result, callId });
  }

  /** placeCall refused before dialling: admission limits wait, DNC and hours as above, the rest fails. */
  private refused(a: CampaignAttemptRecord, err: unknown): void {
    const now = this.now();
    if (err instanceof AdmissionRefusedError) {
      const at = new Date(now.getTime() + Math.max(1, err.refusal.retryAfterS) * 1000).toISOString();
      this.repo.release(a, at, `admission refused (${err.refusal.reason}); waiting for a place`);
      return;
    }
    if (err instanceof CallwrightError && err.code === 'DNC') {
      this.end(a, { outcome: 'failed', reason: err.message, callId: null }, 'dnc');
      return;
    }
    if (err instanceof CallwrightError && err.code === 'PRECONDITION' && /calling hours/.test(err.message)) {
      this.repo.release(a, new Date(now.getTime() + 60_000).toISOString(), err.message);
      return;
    }
    this.end(a, { outcome: 'failed', reason: (err as Error).message, callId: null });
  }

  private end(
    a: CampaignAttemptRecord,
    result: { outcome: AttemptOutcome; reason: string; callId: string | null },
    forced?: 'dnc',
  ): void {
    const c = this.repo.get(a.campaign_id);
    if (!c) return;
    // The retry delay counts from the moment stored as the attempt's end.
    const now = this.now();
    const next = forced
      ? { status: forced, retryAt: null }
      : c.status === 'cancelled'
        ? { status: result.outcome === 'answered' ? ('answered' as const) : result.outcome, retryAt: null }
        : afterAttempt(c.retry, result.outcome, a.attempt, now);
    this.repo.finish(a, result, next, now.toISOString());
  }
}

import type { CallManager } from '../calls/call-manager.js';
import type { CallsSettings } from '../calls/calls-config.js';
import { withinCallingHours } from '../calls/calling-hours.js';
import { AdmissionRefusedError, type AdmissionControl } from '../calls/admission.js';
import { CallwrightError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { CampaignHooks } from '../observability/metrics-hooks.js';
import { attemptOutcomeOf, nextCallingHoursOpening } from './attempt-outcome.js';
import { AttemptRecovery } from './attempt-recovery.js';
import { CampaignRepository } from './campaign-repository.js';
import { StartPacing, type SlotHold } from './start-pacing.js';
import type { CampaignAttemptRecord, CampaignContactRecord, CampaignRecord } from './campaign-types.js';

export interface CampaignRunnerDeps {
  store: Store;
  calls: Pick<CallManager, 'placeCall' | 'get' | 'admissionTrunk'>;
  /** The server's admission control: campaigns wait for a place under its limits instead of being refused. */
  admission?: Pick<AdmissionControl, 'outlook'>;
  /** Metrics: attempts started and finished, how long due contacts waited for a slot. */
  hooks?: CampaignHooks;
  settings: Pick<CallsSettings, 'calling_hours' | 'default_timezone'>;
  logger: Logger;
  /** Tick of the loop (default 100 ms): how soon a free place or a due retry is used. */
  tickMs?: number;
  now?: () => Date;
}

/**
 * The one campaign loop of a server. Each tick, the running campaigns take turns, one claim per turn,
 * the least recently served first: a campaign takes its next due contact, checks Do-Not-Call and
 * calling hours in the callee's time zone, and, when its own limits (`max_concurrent`,
 * `calls_per_second`) and the admission limits on the call's way (its trunk's `max_concurrent_calls`
 * and `max_calls_per_second`, the server's totals) leave a place, claims the attempt in a transaction
 * and asks the call manager to place the call. The trunk's limits are read from the admission state
 * every call on the trunk shares, so campaigns on one trunk wait for a place instead of being refused.
 * The attempt ends with its call; the retry policy decides what comes next. On several nodes sharing
 * one store every node runs this loop: each claims only while its own admission leaves a place, and the
 * claims (guarded writes) share the contacts out, one attempt in flight per person.
 */
export class CampaignRunner {
  readonly repo: CampaignRepository;
  private readonly attempts: AttemptRecovery;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Attempts of this process still in flight, by campaign. */
  private readonly live = new Map<string, Set<Promise<void>>>();
  /** The trunk each attempt in flight counts against (metrics). */
  private readonly flights = new Map<Promise<void>, string>();
  private readonly pacing: StartPacing;
  /** Claim order by campaign (a sequence number), for the turns. */
  private readonly lastClaim = new Map<string, number>();
  private claims = 0;
  /** The limit that last held a campaign's due contact back, until its next claim. */
  private readonly held = new Map<string, SlotHold>();
  private startedAt = 0;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** The tick running now, if any (the timer skips a beat rather than start a second one). */
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: CampaignRunnerDeps) {
    this.repo = new CampaignRepository(deps.store.sql);
    this.log = deps.logger.child({ component: 'campaigns' });
    this.now = deps.now ?? (() => new Date());
    this.pacing = new StartPacing(deps.admission);
    this.attempts = new AttemptRecovery({
      store: deps.store,
      repo: this.repo,
      ...(deps.hooks ? { hooks: deps.hooks } : {}),
      logger: this.log,
      now: this.now,
    });
  }

  /** Resolves the attempts a previous process left claimed, then starts the loop. */
  async start(): Promise<void> {
    this.startedAt = this.now().getTime();
    await this.recover();
    if (this.stopping) return;
    this.timer = setInterval(() => this.pump(), this.deps.tickMs ?? 100);
    this.timer.unref();
  }

  /** No new attempts from now on (drain); the ones in flight end with their calls. */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once the running tick and every attempt in flight have stored their end (call before closing the store). */
  async settled(): Promise<void> {
    await this.ticking;
    await Promise.all([...this.live.values()].flatMap((s) => [...s]));
  }

  /** Live attempts of a campaign in this process. */
  inFlight(campaignId: string): number {
    return this.live.get(campaignId)?.size ?? 0;
  }

  /** Live attempts of this process by the trunk they count against (`none`: a SIP URI without one). */
  inFlightByTrunk(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const trunk of this.flights.values()) out[trunk] = (out[trunk] ?? 0) + 1;
    return out;
  }

  /**
   * Attempts this node's previous process claimed and did not end (SIGKILL, power loss), and those from
   * before nodes were recorded: resolved from their call rows; the retry policy decides what comes next.
   * A claimed attempt is never dialled again. Other live nodes' attempts are theirs.
   */
  async recover(): Promise<void> {
    await this.attempts.recoverOwn(this.deps.store.nodeId);
  }

  /** The attempts of a node that died, once its calls are closed (the cluster's dead-node path). */
  resolveAttemptsOf(nodeId: string): Promise<number> {
    return this.attempts.resolveNode(nodeId);
  }

  /** The timer's tick: one at a time (a slow store must not stack ticks up). */
  private pump(): void {
    if (this.ticking || this.stopping) return;
    this.ticking = this.tick()
      .catch((err: unknown) => this.log.error({ err }, 'campaign tick failed'))
      .finally(() => (this.ticking = undefined));
  }

  /**
   * One pass over the running campaigns. They take turns, one claim each, the least recently served
   * first, until none can claim: campaigns sharing a trunk share its places instead of the oldest
   * campaign taking every place that frees.
   */
  async tick(): Promise<void> {
    if (this.stopping) return;
    let running: CampaignRecord[];
    try {
      running = await this.repo.withStatus('running');
    } catch (err) {
      this.log.error({ err }, 'campaign tick failed');
      return;
    }
    const now = this.now();
    let turn: CampaignRecord[] = [];
    for (const c of running) if (await this.guarded(c, () => this.dialling(c, now))) turn.push(c);
    turn.sort((a, b) => (this.lastClaim.get(a.id) ?? 0) - (this.lastClaim.get(b.id) ?? 0));
    while (turn.length) {
      const again: CampaignRecord[] = [];
      for (const c of turn) if (await this.guarded(c, () => this.claimNext(c, now))) again.push(c);
      turn = again;
    }
    for (const c of running) await this.guarded(c, () => this.completeIfDone(c));
  }

  /** Runs one campaign's part of a tick; a campaign that fails is logged and leaves the others running. */
  private async guarded(c: CampaignRecord, part: () => Promise<boolean | void>): Promise<boolean> {
    try {
      return (await part()) === true;
    } catch (err) {
      this.log.error({ err, campaignId: c.id }, 'campaign step failed');
      return false;
    }
  }

  /** Whether the campaign dials now: its `start_at` has come and its `end_by` has not (else expires). */
  private async dialling(c: CampaignRecord, now: Date): Promise<boolean> {
    if (c.start_at && new Date(c.start_at) > now) return false;
    if (c.end_by && new Date(c.end_by) <= now) {
      await this.repo.closePending(c.id, 'expired', `not reached before end_by ${c.end_by}`);
      return false;
    }
    return true;
  }

  /**
   * The campaign's next due contact: DNC and calling hours first (they need no place), then its own
   * limits and admission's; claimed and dialled when they leave a place. True when it dialled.
   */
  private async claimNext(c: CampaignRecord, now: Date): Promise<boolean> {
    for (;;) {
      if (this.stopping) return false;
      const contact = await this.repo.nextDue(c.id, now.toISOString());
      if (!contact) {
        this.held.delete(c.id);
        return false;
      }
      if (!(await this.admissible(c, contact, now))) continue;
      const trunk = this.deps.calls.admissionTrunk(contact.phone, c.trunk ?? undefined);
      const hold =
        this.pacing.campaignHold(c, this.inFlight(c.id), now.getTime()) ?? this.pacing.admissionHold(trunk);
      if (hold) {
        this.held.set(c.id, hold);
        return false;
      }
      // A claim lost to another server process sharing the store: that contact is theirs, take the next.
      if (await this.dial(c, contact, trunk, now)) return true;
    }
  }

  private async completeIfDone(c: CampaignRecord): Promise<void> {
    if (this.inFlight(c.id) || (await this.repo.hasOpen(c.id))) return;
    await this.repo.setStatus(c.id, 'completed');
    this.pacing.forget(c.id);
    this.lastClaim.delete(c.id);
    this.held.delete(c.id);
    this.log.info({ campaignId: c.id, progress: await this.repo.progress(c.id) }, 'campaign completed');
  }

  /**
   * When the contact became due: the latest of its `next_at`, the campaign's start (or resume) and this
   * process's start. Its claim minus this is the time it waited for a place.
   */
  private dueSince(c: CampaignRecord, contact: CampaignContactRecord): number {
    const ms = (iso: string | null): number => (iso ? Date.parse(iso) : 0);
    return Math.max(ms(contact.next_at), ms(c.start_at), ms(c.updated_at), this.startedAt);
  }

  /**
   * DNC and calling hours at each attempt: DNC ends the contact as `dnc`, out of hours defers it. The
   * contact is read from the store each time (never cached): a DNC mark another server process made a
   * moment ago counts.
   */
  private async admissible(c: CampaignRecord, contact: CampaignContactRecord, now: Date): Promise<boolean> {
    const current = await this.deps.store.contacts.get(contact.contact_id);
    if (current?.dnc) {
      await this.repo.movePending(
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
      await this.repo.movePending(
        contact,
        'expired',
        null,
        `calling hours never open (calls.calling_hours, ${tz})`,
      );
      return false;
    }
    const at = opens.toISOString();
    await this.repo.movePending(contact, 'pending', at, `outside calling hours in ${tz}; deferred to ${at}`);
    return false;
  }

  /** Claims the attempt and starts its call; false when another process claimed the contact first. */
  private async dial(
    c: CampaignRecord,
    contact: CampaignContactRecord,
    trunk: string | undefined,
    now: Date,
  ): Promise<boolean> {
    const attempt = await this.repo.claim(contact, this.deps.store.nodeId);
    if (!attempt) return false;
    this.pacing.started(c.id, now.getTime());
    this.lastClaim.set(c.id, ++this.claims);
    this.deps.hooks?.attemptStarted();
    this.deps.hooks?.slotWait(
      Math.max(0, now.getTime() - this.dueSince(c, contact)),
      this.held.get(c.id) ?? 'none',
    );
    this.held.delete(c.id);
    const live = this.live.get(c.id) ?? new Set();
    this.live.set(c.id, live);
    let decided = (): void => undefined;
    const admitted = new Promise<void>((resolve) => (decided = resolve));
    const run = this.place(c, contact, attempt, decided).catch((err: unknown) =>
      this.log.error({ err, attemptId: attempt.id }, 'campaign attempt failed to settle'),
    );
    live.add(run);
    this.flights.set(run, trunk ?? 'none');
    void run.finally(() => {
      live.delete(run);
      this.flights.delete(run);
    });
    // The next claim reads admission's outlook only once this call was admitted (or refused): the
    // claim and the call manager's checks await the store, so an outlook read meanwhile would still
    // show this call's place as free and the next call would be refused.
    await Promise.race([admitted, run]);
    return true;
  }

  /** Places the attempt's call (`admitted` once admission decided) and stores its end. */
  private async place(
    c: CampaignRecord,
    contact: CampaignContactRecord,
    a: CampaignAttemptRecord,
    admitted: () => void,
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
      admitted();
      return this.refused(a, err);
    }
    admitted();
    await this.repo.setCall(a.id, callId);
    const session = this.deps.calls.get(callId);
    if (session) await session.ended;
    // The end is written with the session's end; read what the call row says.
    const row = await this.deps.store.calls.get(callId);
    const result = row?.ended_at
      ? attemptOutcomeOf(row)
      : { outcome: 'failed' as const, reason: 'the call ended without a stored end' };
    await this.attempts.end(a, { ...result, callId });
  }

  /** placeCall refused before dialling: admission limits wait, DNC and hours as above, the rest fails. */
  private async refused(a: CampaignAttemptRecord, err: unknown): Promise<void> {
    const now = this.now();
    if (err instanceof AdmissionRefusedError) {
      const at = new Date(now.getTime() + Math.max(1, err.refusal.retryAfterS) * 1000).toISOString();
      await this.repo.release(a, at, `admission refused (${err.refusal.reason}); waiting for a place`);
      this.deps.hooks?.attemptFinished('released');
      return;
    }
    if (err instanceof CallwrightError && err.code === 'DNC') {
      await this.attempts.end(a, { outcome: 'failed', reason: err.message, callId: null }, 'dnc');
      return;
    }
    if (err instanceof CallwrightError && err.code === 'PRECONDITION' && /calling hours/.test(err.message)) {
      await this.repo.release(a, new Date(now.getTime() + 60_000).toISOString(), err.message);
      this.deps.hooks?.attemptFinished('released');
      return;
    }
    await this.attempts.end(a, { outcome: 'failed', reason: (err as Error).message, callId: null });
  }
}

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TelephonyStats } from '../telephony/port.js';
import type {
  ActionRunReport,
  AdmissionSource,
  CallHooks,
  CampaignHooks,
  CampaignSource,
  DigestBanSource,
  TurnProviders,
  TurnReport,
} from './metrics-hooks.js';
import { countInvites, INVITE_RESULTS } from './metrics-inbound.js';
import { campaignMetrics } from './metrics-campaigns.js';

/** Live calls by direction, read at scrape time from the call manager. */
export type ActiveCallsSource = () => { inbound: number; outbound: number };

/** What the outbox holds: rows waiting (and since when), rows dead-lettered. */
export interface OutboxBacklog {
  waiting: number;
  oldestWaitingCreatedAt: string | null;
  dead: number;
}

/** The outbox backlog, read at scrape time (OutboxRepository.backlog, a query). */
export interface OutboxBacklogSource {
  backlog(): OutboxBacklog | Promise<OutboxBacklog>;
}

/** How one outbox delivery ended (the worker's DeliveryReport, narrowed). */
export interface OutboxSettled {
  row: { kind: string };
  ok: boolean;
  superseded?: boolean;
}

/** Reasons AdmissionControl refuses calls for: always exported, at zero until one happens. */
const ADMISSION_REASONS = ['concurrency', 'rate', 'overload', 'rtp-ports', 'draining'];

const RUN_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const SPEECH_BUCKETS_S = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
/** Answering-machine decisions: a person within 1-3 s, a greeting's end or beep up to tens of seconds. */
const AMD_BUCKETS_S = [0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30];

/**
 * The server's Prometheus metrics: one Registry per server (tests run several servers in one process,
 * so nothing goes to prom-client's global registry). Counters and histograms are fed by the hooks the
 * layers call (`callHooks`, including the inbound handler's wrapper, `actionRun`, `outboxSettled`); gauges that describe
 * state (live calls, outbox backlog, media lateness, admission, bans) are read from their sources when
 * Prometheus scrapes, so keeping them costs nothing between scrapes.
 */
export class CallwrightMetrics {
  readonly registry = new Registry();
  private activeCalls: ActiveCallsSource | undefined;
  private telephony: { stats(): TelephonyStats } | undefined;
  private outbox: OutboxBacklogSource | undefined;
  private admission: AdmissionSource | undefined;
  private bans: DigestBanSource | undefined;
  private campaigns: CampaignSource | undefined;
  private readonly loopDelay: IntervalHistogram;

  private readonly invites: Counter<'result'>;
  private readonly callsEnded: Counter<'direction' | 'cause'>;
  private readonly transfers: Counter<'mode' | 'method' | 'result'>;
  private readonly refers: Counter<'outcome'>;
  private readonly actionRuns: Counter<'type' | 'status'>;
  private readonly actionRunSeconds: Histogram<'type' | 'status'>;
  private readonly deliveries: Counter<'kind' | 'result'>;
  private readonly recognizerSeconds: Histogram<'recognizer'>;
  private readonly llmSeconds: Histogram<'agent_kind'>;
  private readonly synthesizerSeconds: Histogram<'synthesizer'>;
  private readonly turnSeconds: Histogram<'agent_kind'>;
  private readonly amdDecisions: Counter<'outcome'>;
  private readonly amdDecisionSeconds: Histogram<'outcome'>;
  private readonly amdClassifierVerdicts: Counter<'kind' | 'verdict'>;

  /** What the call layer reports; each callback is one increment or observation. */
  readonly callHooks: CallHooks;
  /** What the campaign runner reports (metrics-campaigns.ts). */
  readonly campaignHooks: CampaignHooks;

  constructor(private readonly now: () => number = Date.now) {
    const registers = [this.registry];
    // The event loop's delay: every timer, RTP frame and SIP retransmission waits at least this long.
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();

    this.gauge('callwright_calls_active', 'Calls live now, by direction', ['direction'], (g) => {
      const n = this.activeCalls?.();
      if (!n) return;
      g.set({ direction: 'inbound' }, n.inbound);
      g.set({ direction: 'outbound' }, n.outbound);
    });

    this.invites = new Counter({
      name: 'callwright_inbound_invites_total',
      help: 'INVITEs the call layer handled, by what became of them (answered, refused by status class, cancelled by the caller, failed)',
      labelNames: ['result'],
      registers,
    });
    for (const result of INVITE_RESULTS) this.invites.inc({ result }, 0);

    this.callsEnded = new Counter({
      name: 'callwright_calls_ended_total',
      help: 'Calls ended, by direction and hang-up cause (normal, busy, no-answer, rejected, transferred, media-timeout, error, shutdown)',
      labelNames: ['direction', 'cause'],
      registers,
    });
    this.transfers = new Counter({
      name: 'callwright_transfers_total',
      help: 'Transfers finished, by mode (cold, warm), method (refer, bridge, none) and result (completed, connected, failed)',
      labelNames: ['mode', 'method', 'result'],
      registers,
    });
    this.refers = new Counter({
      name: 'callwright_sip_refers_total',
      help: 'REFERs sent for cold transfers, by outcome (completed, failed, timeout, refused, error)',
      labelNames: ['outcome'],
      registers,
    });
    this.actionRuns = new Counter({
      name: 'callwright_action_runs_total',
      help: 'Action runs finished, by action type and status',
      labelNames: ['type', 'status'],
      registers,
    });
    this.actionRunSeconds = new Histogram({
      name: 'callwright_action_run_duration_seconds',
      help: 'Duration of finished action runs, by action type and status',
      labelNames: ['type', 'status'],
      buckets: RUN_BUCKETS_S,
      registers,
    });
    this.deliveries = new Counter({
      name: 'callwright_outbox_deliveries_total',
      help: 'Outbox delivery attempts, by row kind and result (delivered, failed, superseded)',
      labelNames: ['kind', 'result'],
      registers,
    });

    this.gauge(
      'callwright_outbox_depth',
      'Outbox rows waiting for delivery (pending or being delivered)',
      [],
      async (g) => {
        const b = await this.readBacklog();
        if (b) g.set(b.waiting);
      },
    );
    this.gauge(
      'callwright_outbox_oldest_pending_age_seconds',
      'Age of the oldest outbox row still waiting for delivery (0 when none waits)',
      [],
      async (g) => {
        const b = await this.readBacklog();
        if (!b) return;
        const created = b.oldestWaitingCreatedAt ? Date.parse(b.oldestWaitingCreatedAt) : NaN;
        g.set(Number.isNaN(created) ? 0 : Math.max(0, (this.now() - created) / 1000));
      },
    );
    this.gauge(
      'callwright_outbox_dead',
      'Outbox rows dead-lettered (out of attempts or failed permanently), waiting for a replay',
      [],
      async (g) => {
        const b = await this.readBacklog();
        if (b) g.set(b.dead);
      },
    );

    this.recognizerSeconds = new Histogram({
      name: 'callwright_recognizer_latency_seconds',
      help: "From the end of the caller's speech to the final transcript, by recogniser",
      labelNames: ['recognizer'],
      buckets: SPEECH_BUCKETS_S,
      registers,
    });
    this.llmSeconds = new Histogram({
      name: 'callwright_llm_first_token_seconds',
      help: "From the final transcript to the model's first token, by agent kind",
      labelNames: ['agent_kind'],
      buckets: SPEECH_BUCKETS_S,
      registers,
    });
    this.synthesizerSeconds = new Histogram({
      name: 'callwright_synthesizer_first_audio_seconds',
      help: 'From the text of the first sentence to its first synthesised audio, by synthesiser',
      labelNames: ['synthesizer'],
      buckets: SPEECH_BUCKETS_S,
      registers,
    });
    this.turnSeconds = new Histogram({
      name: 'callwright_turn_response_seconds',
      help: "From the end of the caller's speech to the first RTP packet of the answer, by agent kind",
      labelNames: ['agent_kind'],
      buckets: SPEECH_BUCKETS_S,
      registers,
    });
    this.amdDecisions = new Counter({
      name: 'callwright_amd_decisions_total',
      help: 'Answering-machine detection decisions on calls out, by outcome (human, machine, machine-ready, fax, silence, uncertain)',
      labelNames: ['outcome'],
      registers,
    });
    this.amdDecisionSeconds = new Histogram({
      name: 'callwright_amd_decision_seconds',
      help: "From the callee's answer to each answering-machine detection decision, by outcome",
      labelNames: ['outcome'],
      buckets: AMD_BUCKETS_S,
      registers,
    });
    this.amdClassifierVerdicts = new Counter({
      name: 'callwright_amd_classifier_verdicts_total',
      help: "The greeting classifier's verdicts on held person decisions, by kind (phrases, llm) and verdict (human, machine, screening, error: the person decision stood)",
      labelNames: ['kind', 'verdict'],
      registers,
    });

    this.gauge(
      'callwright_rtp_frame_lateness_seconds',
      'Lateness of RTP frames behind their 20 ms deadlines on the embedded media clock, since start (stat: p50, p99)',
      ['stat'],
      (g) => {
        const s = this.telephony?.stats();
        const p50 = s?.mediaLatenessP50Ms;
        const p99 = s?.mediaLatenessP99Ms;
        if (p50 !== undefined) g.set({ stat: 'p50' }, p50 / 1000);
        if (p99 !== undefined) g.set({ stat: 'p99' }, p99 / 1000);
      },
    );
    this.gauge(
      'callwright_event_loop_delay_seconds',
      'Event-loop delay since the previous scrape (stat: p50, p99, max, mean)',
      ['stat'],
      (g) => {
        const h = this.loopDelay;
        if (h.count === 0) return;
        g.set({ stat: 'p50' }, h.percentile(50) / 1e9);
        g.set({ stat: 'p99' }, h.percentile(99) / 1e9);
        g.set({ stat: 'max' }, h.max / 1e9);
        g.set({ stat: 'mean' }, h.mean / 1e9);
        h.reset();
      },
    );
    this.gauge(
      'callwright_process_resident_memory_bytes',
      'Resident set size of the server process',
      [],
      (g) => g.set(process.memoryUsage.rss()),
    );

    this.cumulative(
      'callwright_admission_refusals_total',
      'Calls refused by admission control before ringing, by reason (concurrency, rate, overload, rtp-ports, draining)',
      'reason',
      () => {
        const refusals = this.admission?.stats().refusals ?? {};
        const out: Record<string, number> = {};
        for (const reason of new Set([...ADMISSION_REASONS, ...Object.keys(refusals)]))
          out[reason] = refusals[reason] ?? 0;
        return out;
      },
    );
    this.gauge(
      'callwright_admission_draining',
      'Whether the server is draining (1: new calls are refused while live ones finish)',
      [],
      (g) => g.set(this.admission?.stats().draining ? 1 : 0),
    );
    this.gauge(
      'callwright_sip_auth_bans_active',
      'Sources banned now for failing SIP digest authentication',
      [],
      (g) => g.set(this.bans?.stats().banned ?? 0),
    );
    this.cumulative(
      'callwright_sip_auth_bans_total',
      'Bans imposed for failed SIP digest authentication since start',
      undefined,
      () => ({ '': this.bans?.stats().bans ?? 0 }),
    );
    this.cumulative(
      'callwright_sip_auth_failures_total',
      'Failed SIP digest authentications since start',
      undefined,
      () => ({ '': this.bans?.stats().failures ?? 0 }),
    );

    this.campaignHooks = campaignMetrics(this.registry, () => this.campaigns);

    this.callHooks = {
      inbound: (handler) => countInvites(handler, (result) => this.invites.inc({ result })),
      callEnded: (direction, cause) => this.callsEnded.inc({ direction, cause }),
      transfer: (outcome, refer) => {
        this.transfers.inc({ mode: outcome.mode, method: outcome.method, result: outcome.result });
        if (refer && refer !== 'skipped') this.refers.inc({ outcome: refer });
      },
      turn: (providers, report) => this.turn(providers, report),
      amd: (outcome, decisionMs) => {
        this.amdDecisions.inc({ outcome });
        this.amdDecisionSeconds.observe({ outcome }, decisionMs / 1000);
      },
      amdClassifier: (kind, verdict) => this.amdClassifierVerdicts.inc({ kind, verdict }),
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text Prometheus scrapes. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  registerActiveCalls(source: ActiveCallsSource): void {
    this.activeCalls = source;
  }

  /** The backend's stats: the embedded one reports its media clock's lateness. */
  registerTelephony(source: { stats(): TelephonyStats }): void {
    this.telephony = source;
  }

  registerOutbox(source: OutboxBacklogSource): void {
    this.outbox = source;
  }

  /** AdmissionControl (its `stats()`); until one is registered, refusals read zero. */
  registerAdmission(source: AdmissionSource): void {
    this.admission = source;
  }

  /** DigestBans (its `stats()`); until one is registered, bans read zero. */
  registerBans(source: DigestBanSource): void {
    this.bans = source;
  }

  /** The campaign runner and its store (gauges); until one is registered they are absent. */
  registerCampaigns(source: CampaignSource): void {
    this.campaigns = source;
  }

  /** An action run finished (RunHistory). */
  readonly actionRun = (run: ActionRunReport): void => {
    const labels = { type: run.actionType, status: run.status };
    this.actionRuns.inc(labels);
    this.actionRunSeconds.observe(labels, Math.max(0, run.durationMs) / 1000);
  };

  /** An outbox delivery's outcome was written (OutboxWorker onSettled). */
  readonly outboxSettled = (report: OutboxSettled): void => {
    const result = report.superseded ? 'superseded' : report.ok ? 'delivered' : 'failed';
    this.deliveries.inc({ kind: report.row.kind, result });
  };

  /** Stops the event-loop monitor. */
  close(): void {
    this.loopDelay.disable();
  }

  private turn(providers: TurnProviders, t: TurnReport): void {
    if (!t.textOnly && t.finalTranscript !== undefined)
      this.recognizerSeconds.observe({ recognizer: providers.recognizer }, t.finalTranscript / 1000);
    if (t.firstToken !== undefined && t.finalTranscript !== undefined)
      this.llmSeconds.observe({ agent_kind: providers.agentKind }, (t.firstToken - t.finalTranscript) / 1000);
    if (t.firstAudio !== undefined) {
      // Synthesis starts from the first sentence the model's stream cut, else from the line itself.
      const from = t.firstSentence ?? t.firstToken ?? t.finalTranscript;
      if (from !== undefined)
        this.synthesizerSeconds.observe(
          { synthesizer: providers.synthesizer },
          Math.max(0, t.firstAudio - from) / 1000,
        );
    }
    if (t.firstPacket !== undefined)
      this.turnSeconds.observe({ agent_kind: providers.agentKind }, t.firstPacket / 1000);
  }

  /** A gauge set from its source at each scrape; labelled samples the source no longer reports go. */
  private gauge<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: (gauge: Gauge<L>) => void | Promise<void>,
  ): void {
    const gauge: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect: async () => {
        if (labelNames.length) gauge.reset();
        await read(gauge);
      },
    });
  }

  /**
   * A counter whose source keeps the running total itself (AdmissionControl, DigestBans): copied at
   * each scrape. `label` names the one label the source's keys fill; without it the key is ''.
   */
  private cumulative(
    name: string,
    help: string,
    label: string | undefined,
    read: () => Record<string, number>,
  ): void {
    const counter: Counter<string> = new Counter<string>({
      name,
      help,
      labelNames: label ? [label] : [],
      registers: [this.registry],
      collect: () => {
        counter.reset();
        for (const [key, n] of Object.entries(read())) {
          if (label) counter.inc({ [label]: key }, n);
          else counter.inc(n);
        }
      },
    });
  }

  /** A failing source (the store closing under a scrape) leaves the outbox gauges unset, not the scrape failed. */
  private async readBacklog(): Promise<OutboxBacklog | undefined> {
    try {
      return await this.outbox?.backlog();
    } catch {
      return undefined;
    }
  }
}

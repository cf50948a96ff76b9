import type { FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import type { Config } from './config/schema.js';
import { dataPaths } from './config/load.js';
import { assertStartable } from './config/startup-checks.js';
import { createLogger, type Logger } from './logging/logger.js';
import type { Store } from './store/store.js';
import { openStore } from './store/open-store.js';
import { buildApi } from './api/app.js';
import { PhoneTokens } from './calls/phone-token.js';
import { createActionRuntime, type ActionRuntime } from './actions/action-runtime.js';
import { ClusterNode, apiUrlOf } from './cluster/cluster-node.js';
import type { ActionIntegrations } from './actions/action-type.js';
import { processIo, type Io } from './cli/context.js';
import { createTelephony, type Telephony } from './telephony/index.js';
import { FreeswitchTelephony } from './telephony/freeswitch/freeswitch-telephony.js';
import { EmbeddedTelephony, greetingHandler } from './telephony/embedded/index.js';
import { createSpeechSynthesizer } from './speech/index.js';
import { CallRuntime } from './calls/call-runtime.js';
import { SpeechServices } from './speech/speech-services.js';
import { createIntegrationServices } from './integrations/integration-services.js';
import { createLlmServices } from './integrations/llm/llm-services.js';
import { createBookingService } from './integrations/booking/booking-services.js';
import { VoicemailEmailHandler } from './calls/voicemail/voicemail-email-handler.js';
import { voicemailsOf } from './calls/voicemail/voicemail-repository.js';
import { CallwrightMetrics } from './observability/metrics.js';
import { startMetricsListener } from './observability/metrics-listener.js';
import { createTracing } from './observability/tracing.js';
import { AdmissionControl } from './calls/admission.js';
import { drainWindowMs } from './calls/call-manager.js';
import { OutboxRepository } from './delivery/outbox-repository.js';
import { CampaignRunner } from './campaigns/campaign-runner.js';

/** Programmatic stop(): how long live calls may go on when `calls.drain_timeout_ms` is not set. */
const STOP_GRACE_MS = 10_000;

/** What a graceful drain did, logged and returned. */
export interface DrainReport {
  /** Calls in progress when the drain began. */
  calls: number;
  /** Calls still up when the window ended (or a second signal came), hung up with a Reason. */
  callsHungUp: number;
  /** Outbox rows not delivered when the process stopped (they stay queued for the next start). */
  outboxLeft: number;
}
import { RecordingServices } from './calls/recording/recording-services.js';

export interface RunningServer {
  config: Config;
  store: Store;
  api: FastifyInstance;
  /** Action engine and outbox worker (call sessions get their action sessions from `actions.engine`). */
  actions: ActionRuntime;
  /** The telephony backend; the call layer replaces the default inbound handler with `onInbound`. */
  telephony: Telephony;
  logger: Logger;
  /** Where the admin API listens. */
  apiUrl: string;
  /** The server's Prometheus metrics (absent when metrics.enabled is false). */
  metrics?: CallwrightMetrics;
  /** Where `/metrics` is served: the API's URL + /metrics, or the listener of its own (metrics.port). */
  metricsUrl?: string;
  /** Limits on new calls; its stats() feed metrics. */
  admission: AdmissionControl;
  /** Programmatic stop: calls get `calls.drain_timeout_ms` (else 10 s), then everything closes. */
  stop(): Promise<void>;
  /**
   * Graceful drain (SIGTERM): /ready 503 and new calls 503 + Retry-After at once; calls in progress
   * go on up to the drain window, then are hung up (BYE with Reason); the outbox delivers what it
   * holds within the window; then everything closes.
   */
  drain(): Promise<DrainReport>;
  /** A second signal: ends a drain now (calls hung up, outbox not waited for), or stops at once. */
  stopNow(): Promise<DrainReport>;
}

export interface StartOptions {
  io?: Io;
  logger?: Logger;
}

/**
 * Composes the server from config: store, admin API, telephony backend, delivery worker.
 * On a first start with no API key, creates one and prints it once (only its hash is kept).
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const io = options.io ?? processIo;
  assertStartable(config);
  const logger = options.logger ?? createLogger(config.log);
  const paths = dataPaths(config);
  mkdirSync(paths.dir, { recursive: true });
  // PostgreSQL when data.postgres_url is set (several nodes share it), else the SQLite file in data.dir.
  const store = await openStore(config);
  // Never the PostgreSQL URL: it may hold a password.
  const database = config.data.postgres_url ? 'PostgreSQL (data.postgres_url)' : paths.database;
  await createInitialKey(store, io);

  // One registry per server: several servers may run in one process (tests).
  const metrics = config.metrics.enabled ? new CallwrightMetrics() : undefined;

  // Off by default: then the no-op tracing, and the OpenTelemetry SDK is never loaded.
  const tracing = await createTracing(config.tracing);
  const speech = createSpeechSynthesizer(config.speech, paths.dir);
  const telephony = createTelephony(config, { logger, speech });
  // Until the call layer installs its handler, callers hear a short greeting and the call ends.
  telephony.onInbound(greetingHandler(logger.child({ component: 'telephony' })));
  // Consulted for every INVITE and OPTIONS, so installed before the backend takes any.
  const admission = new AdmissionControl(config.admission, { trunks: config.sip.trunks });
  telephony.setAdmissionGate?.(admission);
  // This node in the cluster (one row for a single box): stamps its calls, before any is created.
  const cluster = new ClusterNode(config, {
    store,
    admission,
    logger: logger.child({ component: 'cluster' }),
  });
  await telephony.start();

  // The call layer: its services go into the engine, then it replaces the greeting handler.
  // Voicemail notifications go through the outbox (durable), delivered by their own handler.
  // Ears and voice for calls: voice activity on a worker thread, recognisers and streaming
  // synthesisers made on first use.
  const ears = new SpeechServices(config.speech, paths.dir, logger.child({ component: 'speech' }));
  // Whole-call recording: links point at the API, whose address is known once it listens.
  let publicUrl = config.api.public_url;
  const recording = new RecordingServices(config, { store, logger, publicUrl: () => publicUrl });
  // Browser phones (sip.websocket): the API issues tokens, the call layer checks them on the INVITE.
  const phoneTokens = new PhoneTokens(config.sip.websocket.token_secret, config.sip.websocket.token_ttl_s);
  const calls = new CallRuntime(config, {
    store,
    logger,
    telephony,
    speech: ears,
    durableVoicemailEmail: true,
    ...(metrics ? { hooks: metrics.callHooks } : {}),
    tracing,
    admission,
    recording,
    phoneTokens,
  });
  const integrations = createIntegrationServices(config, { store, tracing });
  // Every integration action types may use, composed once: outbound HTTP (guarded), mail, SMS, CRM,
  // LLM and summarizer, booking.
  const services: ActionIntegrations = {
    ...integrations,
    ...createLlmServices(config.llm, tracing.enabled ? tracing.fetch(fetch) : undefined),
    booking: createBookingService(config, store),
    tracing,
  };
  const actions = createActionRuntime(store, config, logger, {
    services,
    // Transfers, voicemail and IVR navigation drive the caller's leg: the call layer provides them.
    types: calls.actionTypes,
    handlers: [
      new VoicemailEmailHandler({ mailer: integrations.mailer, voicemails: voicemailsOf(store.sql) }),
      ...recording.handlers(),
    ],
    ...(metrics ? { onSettled: metrics.outboxSettled } : {}),
  });
  recording.attach(actions.engine);
  recording.kick = () => actions.worker.kick();
  // Before this process takes calls: close the ones a previous process of this node left open, queueing
  // their after-call work (other nodes' calls are theirs; a dead node's are closed by the heartbeat).
  await cluster.recoverOwnCalls(actions.engine);
  const manager = await calls.attach(actions.engine);
  if (metrics) {
    metrics.registerActiveCalls(() => manager.activeByDirection());
    metrics.registerTelephony(telephony);
    actions.engine.history.onFinished(metrics.actionRun);
    metrics.registerAdmission(admission);
    // Both backends keep their digest brute-force protection in `bans`.
    if (telephony instanceof EmbeddedTelephony || telephony instanceof FreeswitchTelephony)
      metrics.registerBans(telephony.bans);
  }
  const ownMetricsPort = metrics !== undefined && config.metrics.port !== 0;
  const api = await buildApi({
    store,
    config,
    logger,
    calls: manager,
    actionEngine: actions.engine,
    recording,
    phone: {
      tokens: phoneTokens,
      settings: config.sip.websocket,
      listener: () => (telephony instanceof EmbeddedTelephony ? telephony.websocket : undefined),
    },
    readiness: { telephony: () => telephony.readiness(), admission: () => admission.readiness() },
    cluster: cluster.forwarding,
    ...(metrics && !ownMetricsPort ? { metrics } : {}),
  });
  const address = await api.listen({ host: config.api.host, port: config.api.port });
  const apiUrl = address.replace('0.0.0.0', '127.0.0.1');
  publicUrl ||= apiUrl;
  await cluster.start(apiUrlOf(config, apiUrl));
  const metricsListener =
    metrics && ownMetricsPort
      ? await startMetricsListener(
          { metrics, requireKey: config.metrics.require_key, keys: store.apiKeys },
          { host: config.metrics.host, port: config.metrics.port },
        )
      : undefined;
  const metricsUrl = metrics ? `${metricsListener?.url ?? apiUrl}/metrics` : undefined;
  actions.start();
  recording.sweeper.start();
  // One campaign loop per server; attempts a killed process left claimed are resolved first.
  const campaigns = new CampaignRunner({
    store,
    calls: manager,
    admission,
    settings: config.calls,
    logger,
    ...(metrics ? { hooks: metrics.campaignHooks } : {}),
  });
  metrics?.registerCampaigns({
    contactsByStatus: () => campaigns.repo.openProgress(),
    campaignsByStatus: () => campaigns.repo.countByStatus(),
    inFlightByTrunk: () => campaigns.inFlightByTrunk(),
  });
  // A dead node's attempts are resolved here with its calls (exactly once across survivors).
  cluster.attachCampaigns(campaigns);
  // Resolves once the attempts this node's killed process left are settled and the loop runs.
  await campaigns.start();
  // Recordings a crashed process left behind (their calls were closed by recovery above).
  recording
    .recoverInProgress()
    .catch((err: unknown) => logger.error({ err }, 'recordings left in progress could not be recovered'));
  logger.info({ apiUrl, database, backend: config.telephony.backend }, 'callwright started');
  io.err(`Callwright admin API listening on ${apiUrl} (database ${database})`);

  if (config.calls.drain_timeout_ms !== undefined) {
    logger.warn(
      { drain_timeout_ms: config.calls.drain_timeout_ms },
      'calls.drain_timeout_ms is deprecated; it sets the drain window in place of calls.drain_window_s',
    );
  }
  const outbox = new OutboxRepository(store.sql, {
    backoffBaseMs: config.outbox.backoff_base_ms,
    backoffMaxMs: config.outbox.backoff_max_ms,
  });
  metrics?.registerOutbox(outbox);
  const abortDrain = new AbortController();
  let closing: Promise<DrainReport> | undefined;

  const close = async (): Promise<void> => {
    await cluster.stop();
    await api.close();
    await metricsListener?.close();
    metrics?.close();
    await telephony.stop();
    await ears.close();
    await recording.close();
    await actions.stop();
    admission.close();
    integrations.mailer.close();
    // After the worker: the last deliveries' spans are in the batch this exports.
    await tracing
      .shutdown()
      .catch((err: unknown) => logger.warn({ err }, 'exporting the last traces failed'));
    // Last: every writer (API, calls, worker, sweeper, campaigns) has stopped above.
    await store.close();
    logger.info('callwright stopped');
  };

  const drain = async (windowMs: number, waitForOutbox: boolean): Promise<DrainReport> => {
    const deadline = Date.now() + windowMs;
    admission.startDrain();
    campaigns.stop();
    // The outbox is read from the database (PostgreSQL may be unreachable): whatever fails, all closes.
    try {
      // Only logged: an unreadable outbox must not keep the calls from their drain window.
      let queued: number | undefined;
      try {
        queued = await outbox.outstanding(deadline);
      } catch {
        queued = undefined;
      }
      logger.info(
        { calls: manager.active, outbox: queued, windowMs },
        'draining: new calls refused, waiting for the calls in progress',
      );
      const done = await calls.drain({ windowMs, signal: abortDrain.signal });
      // The campaign attempts of those calls store their ends before the store closes.
      await campaigns.settled();
      // After-call work the ended calls queued: delivered within what is left of the window.
      while (
        waitForOutbox &&
        !abortDrain.signal.aborted &&
        Date.now() < deadline &&
        (await outbox.outstanding(deadline)) > 0
      )
        await sleep(100, abortDrain.signal);
      const report = {
        calls: done.calls,
        callsHungUp: done.hungUp,
        outboxLeft: await outbox.outstanding(Number.MAX_SAFE_INTEGER),
      };
      logger.info(report, 'drain finished');
      return report;
    } finally {
      await close();
    }
  };

  return {
    config,
    store,
    api,
    actions,
    telephony,
    logger,
    apiUrl,
    ...(metrics ? { metrics, metricsUrl } : {}),
    admission,
    async stop() {
      closing ??= drain(config.calls.drain_timeout_ms ?? STOP_GRACE_MS, false);
      await closing;
    },
    drain() {
      closing ??= drain(drainWindowMs(config.calls), true);
      return closing;
    },
    stopNow() {
      logger.warn({ calls: manager.active }, 'stopping now: calls in progress are hung up');
      abortDrain.abort();
      closing ??= drain(0, false);
      return closing;
    },
  };
}

/**
 * On a first start with no active API key, creates one and prints it once (only its hash is kept).
 * One transaction (serializable on PostgreSQL, retried there on a conflict): two nodes starting together
 * on one database do not both create one; the one that loses runs again, finds the key and creates none.
 */
async function createInitialKey(store: Store, io: Io): Promise<void> {
  const token = await store.transaction(async () =>
    (await store.apiKeys.activeCount()) === 0 ? (await store.apiKeys.create('initial')).token : undefined,
  );
  if (token) {
    io.err('No API key existed, so one was created. It is shown only now; keep it:');
    io.out(`  API key: ${token}`);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

import type { FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import type { Config } from './config/schema.js';
import { dataPaths } from './config/load.js';
import { assertStartable } from './config/startup-checks.js';
import { createLogger, type Logger } from './logging/logger.js';
import { Store } from './store/store.js';
import { buildApi } from './api/app.js';
import { createActionRuntime, type ActionRuntime } from './actions/action-runtime.js';
import { recoverOpenCalls } from './actions/call-recovery.js';
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
import { OutboxRepository } from './delivery/outbox-repository.js';
import { createTracing } from './observability/tracing.js';

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
  stop(): Promise<void>;
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
  const store = Store.open(paths.database);

  if (store.apiKeys.activeCount() === 0) {
    const { token } = store.apiKeys.create('initial');
    io.err('No API key existed, so one was created. It is shown only now; keep it:');
    io.out(`  API key: ${token}`);
  }

  // One registry per server: several servers may run in one process (tests).
  const metrics = config.metrics.enabled ? new CallwrightMetrics() : undefined;

  // Off by default: then the no-op tracing, and the OpenTelemetry SDK is never loaded.
  const tracing = await createTracing(config.tracing);
  const speech = createSpeechSynthesizer(config.speech, paths.dir);
  const telephony = createTelephony(config, { logger, speech });
  // Until the call layer installs its handler, callers hear a short greeting and the call ends.
  telephony.onInbound(greetingHandler(logger.child({ component: 'telephony' })));
  await telephony.start();

  // The call layer: its services go into the engine, then it replaces the greeting handler.
  // Voicemail notifications go through the outbox (durable), delivered by their own handler.
  // Ears and voice for calls: voice activity on a worker thread, recognisers and streaming
  // synthesisers made on first use.
  const ears = new SpeechServices(config.speech, paths.dir, logger.child({ component: 'speech' }));
  const calls = new CallRuntime(config, {
    store,
    logger,
    telephony,
    speech: ears,
    durableVoicemailEmail: true,
    ...(metrics ? { hooks: metrics.callHooks } : {}),
    tracing,
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
      new VoicemailEmailHandler({ mailer: integrations.mailer, voicemails: voicemailsOf(store.db) }),
    ],
    ...(metrics ? { onSettled: metrics.outboxSettled } : {}),
  });
  // Before this process takes calls: close the ones a previous process left open, queueing their after-call work.
  recoverOpenCalls({ store, engine: actions.engine, logger: logger.child({ component: 'recovery' }) });
  const manager = calls.attach(actions.engine);
  if (metrics) {
    metrics.registerActiveCalls(() => manager.activeByDirection());
    metrics.registerTelephony(telephony);
    metrics.registerOutbox(
      new OutboxRepository(store.db, {
        backoffBaseMs: config.outbox.backoff_base_ms,
        backoffMaxMs: config.outbox.backoff_max_ms,
      }),
    );
    actions.engine.history.onFinished(metrics.actionRun);
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
    readiness: { telephony: () => telephony.readiness() },
    ...(metrics && !ownMetricsPort ? { metrics } : {}),
  });
  const address = await api.listen({ host: config.api.host, port: config.api.port });
  const apiUrl = address.replace('0.0.0.0', '127.0.0.1');
  const metricsListener =
    metrics && ownMetricsPort
      ? await startMetricsListener(
          { metrics, requireKey: config.metrics.require_key, keys: store.apiKeys },
          { host: config.metrics.host, port: config.metrics.port },
        )
      : undefined;
  const metricsUrl = metrics ? `${metricsListener?.url ?? apiUrl}/metrics` : undefined;
  actions.start();
  logger.info({ apiUrl, database: paths.database, backend: config.telephony.backend }, 'callwright started');
  io.err(`Callwright admin API listening on ${apiUrl} (database ${paths.database})`);

  let stopped = false;
  return {
    config,
    store,
    api,
    actions,
    telephony,
    logger,
    apiUrl,
    ...(metrics ? { metrics, metricsUrl } : {}),
    async stop() {
      if (stopped) return;
      stopped = true;
      await calls.drain();
      await api.close();
      await metricsListener?.close();
      metrics?.close();
      await telephony.stop();
      await ears.close();
      await actions.stop();
      integrations.mailer.close();
      // After the worker: the last deliveries' spans are in the batch this exports.
      await tracing
        .shutdown()
        .catch((err: unknown) => logger.warn({ err }, 'exporting the last traces failed'));
      store.close();
      logger.info('callwright stopped');
    },
  };
}

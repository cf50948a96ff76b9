import path from 'node:path';
import type { ActionServices } from '../../actions/action-type.js';
import type { CallEvent } from '../../actions/triggers/trigger.js';
import type { Config, SipTrunkSettings } from '../../config/schema.js';
import type { DtmfMethod } from '../../telephony/port.js';
import type { Summarizer } from '../../integrations/llm/summarizer.js';

/** The shared summarizer service (`services.summarizer`, src/integrations/llm/summarizer.ts). */
export type { Summarizer };

/**
 * Where call-flow actions report call events (`transfer-failed`, `voicemail-left`) so attachments with
 * event triggers fire. The call session implements it by feeding its ActionSession; actions never await
 * it, because the session runs triggered work after the current run (awaiting would deadlock).
 */
export interface CallEventSink {
  emit(callId: string, event: CallEvent): void;
}

/**
 * What transfers, voicemail and IVR navigation need from the config, passed to actions as
 * `services.callFlows` (ActionEngineDeps.services). Built by `callFlowSettings(config)`.
 */
export interface CallFlowSettings {
  /** Voicemail WAVs go to `<voicemailDir>/<id>.wav`. */
  voicemailDir: string;
  /** Base of links in emails (`api.public_url`, else http://host:port). */
  publicUrl: string;
  trunks: readonly SipTrunkSettings[];
  referNotifyTimeoutMs: number;
  ringTimeoutMs: number;
  /** True when an outbox worker runs a `voicemail-email` delivery handler: emails go through the outbox. */
  durableVoicemailEmail: boolean;
  /** `calls.voicemail_silence_threshold_dbfs`: quieter recordings are discarded as silence. */
  voicemailSilenceThresholdDbfs?: number;
}

export function callFlowSettings(
  config: Config,
  options: { durableVoicemailEmail?: boolean } = {},
): CallFlowSettings {
  const host = config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host;
  return {
    voicemailDir: path.join(path.resolve(config.data.dir), 'voicemail'),
    publicUrl: (config.api.public_url || `http://${host}:${config.api.port}`).replace(/\/+$/, ''),
    trunks: config.sip.trunks,
    referNotifyTimeoutMs: config.sip.refer_notify_timeout_ms,
    ringTimeoutMs: config.sip.ring_timeout_ms,
    durableVoicemailEmail: options.durableVoicemailEmail ?? false,
    voicemailSilenceThresholdDbfs: config.calls.voicemail_silence_threshold_dbfs,
  };
}

/** The typed view of the optional services these flows use. */
export interface CallFlowServices {
  settings?: CallFlowSettings;
  summarizer?: Summarizer;
  events?: CallEventSink;
}

function hasMethod<T>(value: unknown, method: string): value is T {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[method] === 'function'
  );
}

export function callFlowServices(services: ActionServices): CallFlowServices {
  const settings = services.callFlows as CallFlowSettings | undefined;
  return {
    ...(settings && typeof settings === 'object' ? { settings } : {}),
    ...(hasMethod<Summarizer>(services.summarizer, 'summarize') ? { summarizer: services.summarizer } : {}),
    ...(hasMethod<CallEventSink>(services.callEvents, 'emit') ? { events: services.callEvents } : {}),
  };
}

/** The trunk a leg came in on (or went out through), when it is configured. */
export function trunkOf(
  settings: CallFlowSettings | undefined,
  trunk: string | undefined,
): SipTrunkSettings | undefined {
  if (!settings || !trunk) return undefined;
  return settings.trunks.find((t) => t.name === trunk);
}

/** DTMF method for a leg: the trunk's `dtmf_method`, RFC 4733 otherwise. */
export function dtmfMethodFor(settings: CallFlowSettings | undefined, trunk: string | undefined): DtmfMethod {
  return trunkOf(settings, trunk)?.dtmf_method ?? 'rfc4733';
}

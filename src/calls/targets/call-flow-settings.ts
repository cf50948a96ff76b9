import path from 'node:path';
import type { CallEvent } from '../../actions/triggers/trigger.js';
import type { Config, SipTrunkSettings } from '../../config/schema.js';
import type { DtmfMethod } from '../../telephony/port.js';

/**
 * Where call-flow actions report call events (`transfer-failed`, `voicemail-left`) so attachments with
 * event triggers fire. The call session implements it by feeding its ActionSession; actions never await
 * it, because the session runs triggered work after the current run (awaiting would deadlock).
 */
export interface CallEventSink {
  emit(callId: string, event: CallEvent): void;
}

/**
 * What transfers, voicemail and IVR navigation need from the config; the call-flow action types close
 * over it (src/calls/flow-actions). Built by `callFlowSettings(config)`.
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

/** The trunk a leg came in on (or went out through), when it is configured. */
export function trunkOf(settings: CallFlowSettings, trunk: string | undefined): SipTrunkSettings | undefined {
  if (!trunk) return undefined;
  return settings.trunks.find((t) => t.name === trunk);
}

/** DTMF method for a leg: the trunk's `dtmf_method`, RFC 4733 otherwise. */
export function dtmfMethodFor(settings: CallFlowSettings, trunk: string | undefined): DtmfMethod {
  return trunkOf(settings, trunk)?.dtmf_method ?? 'rfc4733';
}

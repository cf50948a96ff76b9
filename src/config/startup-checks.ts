import { CallwrightError, describeIssues, type FieldIssue } from '../errors.js';
import { AddressPolicy } from '../integrations/http/address-policy.js';
import { parseAddressRange } from '../telephony/sip/address-range.js';
import { freeswitchConfigIssues } from '../telephony/freeswitch/config.js';
import type { Config } from './schema.js';
import { tracingIssues } from '../observability/tracing.js';
import { recordingConfigIssues } from '../calls/recording/recording-config.js';

const CIDR_EXPECTED = 'an IP address or CIDR such as 203.0.113.0/24';

function cidrIssues(entries: readonly string[], field: string): FieldIssue[] {
  return entries.flatMap((entry, i) => {
    try {
      parseAddressRange(entry, `${field}.${i}`);
      return [];
    } catch {
      return [{ field: `${field}.${i}`, value: entry, expected: CIDR_EXPECTED }];
    }
  });
}

/** The RTP range must hold an even port (RFC 3550 §11: RTP on even ports). */
function mediaIssues(media: Config['media']): FieldIssue[] {
  const firstEven = media.rtp_port_min % 2 === 0 ? media.rtp_port_min : media.rtp_port_min + 1;
  if (media.rtp_port_max >= firstEven) return [];
  return [
    {
      field: 'media.rtp_port_max',
      value: media.rtp_port_max,
      expected: `a port >= ${firstEven} (media.rtp_port_min..rtp_port_max must hold an even port)`,
    },
  ];
}

/** A cloud speech provider chosen as the server default needs what it cannot work without. */
function speechIssues(speech: Config['speech']): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const need = (field: string, value: string, expected: string): void => {
    if (!value) issues.push({ field, value, expected });
  };
  const openaiHosted = (url: string): boolean => /^https:\/\/api\.openai\.com(\/|$)/.test(url);
  if (speech.recognizer === 'deepgram')
    need(
      'speech.deepgram.api_key',
      speech.deepgram.api_key,
      'a Deepgram API key (CALLWRIGHT_SPEECH_DEEPGRAM_API_KEY) when speech.recognizer is deepgram',
    );
  if (speech.recognizer === 'openai' && openaiHosted(speech.openai_transcription.base_url))
    need(
      'speech.openai_transcription.api_key',
      speech.openai_transcription.api_key,
      'an OpenAI API key (CALLWRIGHT_SPEECH_OPENAI_TRANSCRIPTION_API_KEY) when transcribing with api.openai.com',
    );
  if (speech.provider === 'openai' && openaiHosted(speech.openai_speech.base_url))
    need(
      'speech.openai_speech.api_key',
      speech.openai_speech.api_key,
      'an OpenAI API key (CALLWRIGHT_SPEECH_OPENAI_SPEECH_API_KEY) when speech.provider is openai on api.openai.com',
    );
  if (speech.provider === 'elevenlabs') {
    need(
      'speech.elevenlabs.api_key',
      speech.elevenlabs.api_key,
      'an ElevenLabs API key (CALLWRIGHT_SPEECH_ELEVENLABS_API_KEY) when speech.provider is elevenlabs',
    );
    need(
      'speech.elevenlabs.voice_id',
      speech.elevenlabs.voice_id,
      'an ElevenLabs voice id when speech.provider is elevenlabs',
    );
  }
  return issues;
}

/**
 * Rules the schema cannot state (cross-field rules, address syntax), which the
 * parts that use them would otherwise only find when they start: after the database and the
 * first API key were created, so a newcomer would lose the key printed by a start that then failed.
 */
export function startupIssues(config: Config): FieldIssue[] {
  const issues: FieldIssue[] = [
    ...cidrIssues(config.sip.allow, 'sip.allow'),
    ...config.sip.trunks.flatMap((t, i) => cidrIssues(t.inbound_allow, `sip.trunks.${i}.inbound_allow`)),
    ...config.http.allow_hosts.flatMap((entry, i) =>
      AddressPolicy.invalidEntries([entry]).length
        ? [
            {
              field: `http.allow_hosts.${i}`,
              value: entry,
              expected: 'a host name, an IP address or a CIDR such as 10.1.2.0/24',
            },
          ]
        : [],
    ),
  ];
  if (config.telephony.backend === 'embedded') issues.push(...mediaIssues(config.media));
  if (config.telephony.backend === 'freeswitch') {
    issues.push(...freeswitchConfigIssues(config.freeswitch, config.media.hold_music));
  }
  issues.push(...speechIssues(config.speech));
  issues.push(...tracingIssues(config.tracing));
  issues.push(...recordingConfigIssues(config.recording));
  if (config.llm.base_url && !config.llm.model) {
    issues.push({
      field: 'llm.model',
      value: '',
      expected: 'a model name such as gpt-4o-mini (required when llm.base_url is set)',
    });
  }
  return issues;
}

/** Throws CONFIG_INVALID naming every problem `startupIssues` finds; run before anything is created. */
export function assertStartable(config: Config): void {
  const issues = startupIssues(config);
  if (issues.length) {
    throw new CallwrightError('CONFIG_INVALID', `invalid configuration\n${describeIssues(issues)}`, issues);
  }
}

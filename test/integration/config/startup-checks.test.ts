import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { startupIssues } from '../../../src/config/startup-checks.js';

function issuesFor(overrides: Record<string, unknown>) {
  return startupIssues(loadConfig({ env: {}, overrides }));
}

describe('start-up checks beyond the schema', () => {
  it('accepts the documented defaults', () => {
    expect(issuesFor({})).toEqual([]);
  });

  it('names each sip.allow and trunk inbound_allow entry that is not an IP or CIDR', () => {
    const trunk = {
      name: 'carrier',
      host: '203.0.113.10',
      inbound_allow: ['203.0.113.0/24', '203.0.113.0/33'],
    };
    expect(issuesFor({ sip: { allow: ['127.0.0.0/8', 'office'], trunks: [trunk] } })).toEqual([
      { field: 'sip.allow.1', value: 'office', expected: 'an IP address or CIDR such as 203.0.113.0/24' },
      {
        field: 'sip.trunks.0.inbound_allow.1',
        value: '203.0.113.0/33',
        expected: 'an IP address or CIDR such as 203.0.113.0/24',
      },
    ]);
  });

  it('names an RTP range without an even port, a model missing for an LLM URL and a bad allowed host', () => {
    const issues = issuesFor({
      media: { rtp_port_min: 40001, rtp_port_max: 40001 },
      llm: { base_url: 'http://127.0.0.1:9/v1', model: '' },
      http: { allow_hosts: ['crm.internal', '10.0.0.0/99'] },
    });
    expect(issues.map((i) => [i.field, i.value])).toEqual([
      ['http.allow_hosts.1', '10.0.0.0/99'],
      ['media.rtp_port_max', 40001],
      ['llm.model', ''],
    ]);
  });

  it('leaves an unknown time zone to the schema, which refuses it before any start-up check', () => {
    expect(() => issuesFor({ calls: { default_timezone: 'Mars/Olympus' } })).toThrow(
      /calls\.default_timezone: got "Mars\/Olympus", expected an IANA time zone/,
    );
  });

  it('names empty freeswitch secrets when that backend is chosen', () => {
    const fields = issuesFor({ telephony: { backend: 'freeswitch' } }).map((i) => i.field);
    expect(fields).toContain('freeswitch.drachtio.secret');
    expect(fields).toContain('freeswitch.media_servers');
  });

  it('names the key a cloud speech provider chosen as the default cannot work without', () => {
    const issues = issuesFor({
      speech: { recognizer: 'deepgram', provider: 'elevenlabs' },
    });
    expect(issues.map((i) => i.field)).toEqual([
      'speech.deepgram.api_key',
      'speech.elevenlabs.api_key',
      'speech.elevenlabs.voice_id',
    ]);
    expect(issues[0]?.expected).toMatch(/CALLWRIGHT_SPEECH_DEEPGRAM_API_KEY/);
    // A local OpenAI-compatible server needs no key.
    expect(
      issuesFor({
        speech: {
          recognizer: 'openai',
          provider: 'openai',
          openai_transcription: { base_url: 'http://127.0.0.1:9000/v1' },
          openai_speech: { base_url: 'http://127.0.0.1:8880/v1' },
        },
      }),
    ).toEqual([]);
    expect(issuesFor({ speech: { provider: 'openai' } }).map((i) => i.field)).toEqual([
      'speech.openai_speech.api_key',
    ]);
  });
});

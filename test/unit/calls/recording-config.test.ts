import { describe, expect, it } from 'vitest';
import {
  recordingConfigIssues,
  type RecordingSettings,
} from '../../../src/calls/recording/recording-config.js';
import { recordingKey } from '../../../src/calls/recording/recording-storage.js';
import { triggerIssues } from '../../../src/actions/agent-plan.js';

const base: RecordingSettings = {
  storage: 'local',
  local_dir: '',
  key_template: 'recordings/{{yyyy}}/{{mm}}/{{dd}}/{{call_id}}.wav',
  retention_days: 0,
  sweep_interval_s: 3600,
  link_secret: '',
  link_ttl_s: 3600,
  webhook_url: '',
  webhook_secret: '',
  s3: {
    endpoint: '',
    region: 'us-east-1',
    bucket: '',
    access_key_id_env: '',
    secret_access_key_env: '',
    force_path_style: false,
  },
};

describe('recording config rules', () => {
  it('accepts the defaults', () => expect(recordingConfigIssues(base)).toEqual([]));

  it.each([
    ['s3 without a bucket', { storage: 's3' as const }, 'recording.s3.bucket'],
    [
      'a placeholder it does not know',
      { key_template: '{{year}}/{{call_id}}.wav' },
      'recording.key_template',
    ],
    ['a key without the call id', { key_template: 'recordings/{{yyyy}}.wav' }, 'recording.key_template'],
    ['a key leaving its folder', { key_template: '../{{call_id}}.wav' }, 'recording.key_template'],
    ['a short link secret', { link_secret: 'short' }, 'recording.link_secret'],
    ['a webhook secret not in whsec_ form', { webhook_secret: 'abc' }, 'recording.webhook_secret'],
    ['a webhook URL that is not http(s)', { webhook_url: 'ftp://x' }, 'recording.webhook_url'],
  ])('refuses %s, naming the field', (_, change, field) => {
    const issues = recordingConfigIssues({ ...base, ...change });
    expect(issues.map((i) => i.field)).toContain(field);
    expect(issues.every((i) => i.expected.length > 0)).toBe(true);
  });

  it('refuses one credential variable without the other', () => {
    const issues = recordingConfigIssues({ ...base, s3: { ...base.s3, access_key_id_env: 'ID' } });
    expect(issues.map((i) => i.field)).toEqual(['recording.s3.secret_access_key_env']);
  });
});

describe('recording object key', () => {
  it('fills the date parts (UTC, call start) and the call id', () => {
    const key = recordingKey('recordings/{{yyyy}}/{{mm}}/{{dd}}/{{hh}}/{{direction}}-{{call_id}}.wav', {
      id: 'call_1',
      agent_id: 'agt_1',
      direction: 'inbound',
      started_at: '2026-02-03T04:05:06.000Z',
    });
    expect(key).toBe('recordings/2026/02/03/04/inbound-call_1.wav');
  });
});

describe('recording-ready trigger', () => {
  it('fires after-stage attachments only', () => {
    expect(triggerIssues([{ kind: 'event', event: 'recording-ready' }], 'after')).toEqual([]);
    expect(triggerIssues([{ kind: 'event', event: 'recording-ready' }], 'during')).toEqual([
      {
        field: 'triggers.0.event',
        value: 'recording-ready',
        expected: 'stage after for the recording-ready event',
      },
    ]);
  });
});

import { Type, type Static } from '@sinclair/typebox';
import type { FieldIssue } from '../../errors.js';

const Strict = { additionalProperties: false } as const;

/**
 * The `recording` config section: where whole-call recordings are stored (local folder or an
 * S3-compatible bucket), how long they are kept, how their links are signed and where the
 * `recording-ready` event is posted. Whether a call is recorded is the agent's setting, or the
 * outbound call's / inbound number's option (docs/recording.md).
 */
export const RecordingConfig = Type.Object(
  {
    storage: Type.Union([Type.Literal('local'), Type.Literal('s3')], {
      description: 'local: a folder (local_dir); s3: an S3-compatible bucket (s3.*)',
    }),
    local_dir: Type.String({
      description:
        'Folder of stored recordings (storage local) and of recordings in progress; empty = <data.dir>/recordings',
    }),
    key_template: Type.String({
      minLength: 1,
      maxLength: 500,
      description:
        'Object key / relative path of a stored recording: {{yyyy}} {{mm}} {{dd}} {{hh}} (UTC, call start), {{call_id}}, {{agent_id}}, {{direction}}',
    }),
    retention_days: Type.Integer({
      minimum: 0,
      maximum: 36500,
      description: 'Recordings older than this many days are deleted (local and S3); 0 = kept forever',
    }),
    sweep_interval_s: Type.Integer({
      minimum: 10,
      maximum: 86400,
      description: 'How often the retention sweeper looks for expired recordings',
    }),
    link_secret: Type.String({
      description:
        'HMAC-SHA256 key of signed recording links (at least 32 characters); empty = a random key kept in <data.dir>/recording-link.key',
    }),
    link_ttl_s: Type.Integer({
      minimum: 60,
      maximum: 31536000,
      description: 'How long a signed recording link works',
    }),
    webhook_url: Type.String({
      description: 'Where recording-ready events are POSTed (Standard Webhooks signed); empty = none',
    }),
    webhook_secret: Type.String({
      description: 'whsec_<base64> key that signs recording-ready webhooks; empty = unsigned',
    }),
    s3: Type.Object(
      {
        endpoint: Type.String({ description: 'S3-compatible endpoint URL; empty = AWS for the region' }),
        region: Type.String({ minLength: 1 }),
        bucket: Type.String({ description: 'Bucket of the recordings (storage s3)' }),
        access_key_id_env: Type.String({
          description:
            'Name of the environment variable holding the access key id; empty = the SDK default chain',
        }),
        secret_access_key_env: Type.String({
          description: 'Name of the environment variable holding the secret access key',
        }),
        force_path_style: Type.Boolean({
          description:
            'https://endpoint/bucket/key instead of https://bucket.endpoint/key (most non-AWS stores)',
        }),
      },
      Strict,
    ),
  },
  Strict,
);
export type RecordingSettings = Static<typeof RecordingConfig>;

const TEMPLATE_FIELDS = ['yyyy', 'mm', 'dd', 'hh', 'call_id', 'agent_id', 'direction'];

/** Rules the schema cannot state; field names start with `recording.`. */
export function recordingConfigIssues(settings: RecordingSettings): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (settings.storage === 's3' && !settings.s3.bucket)
    issues.push({ field: 'recording.s3.bucket', value: '', expected: 'a bucket name when storage is s3' });
  if (settings.s3.endpoint && !/^https?:\/\/[^\s/]+/.test(settings.s3.endpoint))
    issues.push({
      field: 'recording.s3.endpoint',
      value: settings.s3.endpoint,
      expected: 'an http:// or https:// URL, or empty for AWS',
    });
  if (Boolean(settings.s3.access_key_id_env) !== Boolean(settings.s3.secret_access_key_env))
    issues.push({
      field: 'recording.s3.secret_access_key_env',
      value: settings.s3.secret_access_key_env,
      expected: 'both access_key_id_env and secret_access_key_env, or neither (the SDK default chain)',
    });
  if (settings.link_secret && settings.link_secret.length < 32)
    issues.push({
      field: 'recording.link_secret',
      value: '[redacted]',
      expected: 'at least 32 characters, or empty for a generated key',
    });
  for (const m of settings.key_template.matchAll(/\{\{\s*([^}\s]*)\s*\}\}/g)) {
    if (!TEMPLATE_FIELDS.includes(m[1] ?? ''))
      issues.push({
        field: 'recording.key_template',
        value: settings.key_template,
        expected: `placeholders among ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(' ')}`,
      });
  }
  if (!settings.key_template.includes('{{call_id}}') && !/\{\{\s*call_id\s*\}\}/.test(settings.key_template))
    issues.push({
      field: 'recording.key_template',
      value: settings.key_template,
      expected: 'a template containing {{call_id}}, so each call has its own key',
    });
  if (settings.key_template.split('/').some((part) => part === '..'))
    issues.push({
      field: 'recording.key_template',
      value: settings.key_template,
      expected: 'no ".." segments',
    });
  if (settings.webhook_url && !/^https?:\/\//.test(settings.webhook_url))
    issues.push({
      field: 'recording.webhook_url',
      value: settings.webhook_url,
      expected: 'an http(s) URL or empty',
    });
  if (settings.webhook_secret && !settings.webhook_secret.startsWith('whsec_'))
    issues.push({
      field: 'recording.webhook_secret',
      value: '[redacted]',
      expected: 'whsec_<base64> or empty',
    });
  return issues;
}

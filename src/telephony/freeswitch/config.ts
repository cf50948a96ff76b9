import { Type, type Static } from '@sinclair/typebox';
import { CallwrightError, describeIssues, type FieldIssue } from '../../errors.js';

/**
 * The `freeswitch` config section: where drachtio-server and the FreeSWITCH media servers are, the
 * folder both Callwright and FreeSWITCH can read, and the SIP trunks outbound calls go through.
 * config/default.yaml documents every key. Secrets have no defaults: `checkFreeswitchConfig` refuses
 * empty ones when `telephony.backend` is `freeswitch`, naming the key.
 */
const Strict = { additionalProperties: false } as const;

export const MediaServerConfig = Type.Object(
  {
    name: Type.Optional(
      Type.String({ default: '', description: 'Label used in logs and readiness; empty = address:port' }),
    ),
    address: Type.String({ minLength: 1, description: 'FreeSWITCH event-socket host' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'FreeSWITCH event-socket port' }),
    secret: Type.String({ description: 'FreeSWITCH event-socket password (no default)' }),
    listen_address: Type.Optional(
      Type.String({
        default: '',
        description: 'Where FreeSWITCH outbound event-socket connections arrive; empty = first external IPv4',
      }),
    ),
    listen_port: Type.Optional(Type.Integer({ default: 0, minimum: 0, maximum: 65535 })),
    advertised_address: Type.Optional(
      Type.String({
        default: '',
        description: 'Address FreeSWITCH connects back to; empty = listen_address',
      }),
    ),
  },
  Strict,
);

export const TrunkConfig = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    host: Type.String({ minLength: 1, description: 'host[:port] of the trunk (SIP domain or IP)' }),
    transport: Type.Optional(
      Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], { default: 'udp' }),
    ),
    username: Type.Optional(Type.String({ default: '', description: 'digest auth user; empty = no auth' })),
    password: Type.Optional(Type.String({ default: '' })),
    dtmf: Type.Optional(Type.Union([Type.Literal('rfc4733'), Type.Literal('info')], { default: 'rfc4733' })),
    caller_id: Type.Optional(Type.String({ default: '', description: 'default caller id for this trunk' })),
  },
  Strict,
);

export const FreeswitchConfig = Type.Object(
  {
    drachtio: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        secret: Type.String(),
        connect_timeout_ms: Type.Integer({ minimum: 0 }),
        max_retry_delay_ms: Type.Integer({ minimum: 100 }),
      },
      Strict,
    ),
    media_servers: Type.Array(MediaServerConfig),
    shared_dir: Type.Object(
      {
        local: Type.String({ description: 'The shared folder as Callwright sees it' }),
        remote: Type.String({ description: 'The same folder as FreeSWITCH sees it; empty = same path' }),
      },
      Strict,
    ),
    hold_music: Type.String({ description: 'File played while a leg is on hold; empty = a soft tone' }),
    max_retry_delay_ms: Type.Integer({
      minimum: 100,
      description: 'Reconnect back-off cap for media servers',
    }),
    operation_timeout_ms: Type.Integer({ minimum: 100, description: 'Limit for one media-server command' }),
    trunks: Type.Array(TrunkConfig),
  },
  Strict,
);

export type FreeswitchSettings = Static<typeof FreeswitchConfig>;
export type MediaServerSettings = Static<typeof MediaServerConfig>;
export type TrunkSettings = Static<typeof TrunkConfig>;

/** Values that must be set before the freeswitch backend can start; each issue names its key. */
export function freeswitchConfigIssues(settings: FreeswitchSettings): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!settings.drachtio.secret) {
    issues.push({
      field: 'freeswitch.drachtio.secret',
      value: '',
      expected: 'the drachtio-server secret (no default)',
    });
  }
  if (settings.media_servers.length === 0) {
    issues.push({
      field: 'freeswitch.media_servers',
      value: [],
      expected: 'at least one media server {name, address, port, secret}',
    });
  }
  settings.media_servers.forEach((ms, i) => {
    if (!ms.secret) {
      issues.push({
        field: `freeswitch.media_servers.${i}.secret`,
        value: '',
        expected: 'the FreeSWITCH event-socket password (no default)',
      });
    }
  });
  if (!settings.shared_dir.local) {
    issues.push({
      field: 'freeswitch.shared_dir.local',
      value: '',
      expected: 'a folder FreeSWITCH can read and write (prompts, recordings)',
    });
  }
  const names = new Set<string>();
  settings.trunks.forEach((t, i) => {
    if (names.has(t.name)) {
      issues.push({
        field: `freeswitch.trunks.${i}.name`,
        value: t.name,
        expected: 'a name no other trunk uses',
      });
    }
    names.add(t.name);
  });
  return issues;
}

export function checkFreeswitchConfig(settings: FreeswitchSettings): void {
  const issues = freeswitchConfigIssues(settings);
  if (issues.length) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      `invalid freeswitch configuration\n${describeIssues(issues)}`,
      issues,
    );
  }
}

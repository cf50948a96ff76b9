import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { CallwrightError, describeIssues, type FieldIssue } from '../../errors.js';

/**
 * The `freeswitch` config section: where drachtio-server and the FreeSWITCH media servers are, the
 * folder both Callwright and FreeSWITCH can read.
 * config/default.yaml documents every key. Secrets have no defaults: `checkFreeswitchConfig` refuses
 * empty ones when `telephony.backend` is `freeswitch`, naming the key. Trunks come from `sip.trunks`,
 * hold music from `media.hold_music` (which must then lie inside the shared folder).
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
    max_retry_delay_ms: Type.Integer({
      minimum: 100,
      description: 'Reconnect back-off cap for media servers',
    }),
    operation_timeout_ms: Type.Integer({ minimum: 100, description: 'Limit for one media-server command' }),
    audio_fork_address: Type.String({
      minLength: 1,
      description: 'Where the audio-fork WebSocket server listens (FreeSWITCH streams call audio to it)',
    }),
    audio_fork_port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: 'Port of the audio-fork WebSocket server; 0 = any free port',
    }),
    audio_fork_url: Type.String({
      description: 'ws:// URL FreeSWITCH connects to for the audio fork; empty = ws://<address>:<port>',
    }),
  },
  Strict,
);

export type FreeswitchSettings = Static<typeof FreeswitchConfig>;
export type MediaServerSettings = Static<typeof MediaServerConfig>;

/** Values that must be set before the freeswitch backend can start; each issue names its key. */
/** `holdMusic` is `media.hold_music`, checked because FreeSWITCH can only play inside the shared folder. */
export function freeswitchConfigIssues(settings: FreeswitchSettings, holdMusic = ''): FieldIssue[] {
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
  issues.push(...audioForkIssues(settings));
  if (holdMusic && settings.shared_dir.local) {
    const rel = path.relative(path.resolve(settings.shared_dir.local), path.resolve(holdMusic));
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      issues.push({
        field: 'media.hold_music',
        value: holdMusic,
        expected: `a file inside freeswitch.shared_dir.local (${settings.shared_dir.local}), which FreeSWITCH can read`,
      });
    }
  }
  return issues;
}

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The audio-fork URL is handed to FreeSWITCH as one argument of a space-separated API command, and
 * FreeSWITCH dials it: it must be a ws:// or wss:// URL without spaces, and a wildcard listen address
 * cannot stand in for it (FreeSWITCH cannot connect to 0.0.0.0).
 */
function audioForkIssues(settings: FreeswitchSettings): FieldIssue[] {
  const url = settings.audio_fork_url;
  if (!url) {
    if (!WILDCARD_ADDRESSES.has(settings.audio_fork_address)) return [];
    return [
      {
        field: 'freeswitch.audio_fork_url',
        value: '',
        expected: `the ws:// URL FreeSWITCH reaches this server at (freeswitch.audio_fork_address ${settings.audio_fork_address} listens on every interface, so it cannot be dialled)`,
      },
    ];
  }
  let ok = false;
  try {
    const parsed = new URL(url);
    ok = (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') && !/\s/.test(url) && !parsed.search;
  } catch {
    ok = false;
  }
  return ok
    ? []
    : [
        {
          field: 'freeswitch.audio_fork_url',
          value: url,
          expected:
            'a ws:// or wss:// URL without spaces or query, e.g. ws://10.0.0.5:8090 (empty = ws://<audio_fork_address>:<port>)',
        },
      ];
}

export function checkFreeswitchConfig(settings: FreeswitchSettings, holdMusic = ''): void {
  const issues = freeswitchConfigIssues(settings, holdMusic);
  if (issues.length) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      `invalid freeswitch configuration\n${describeIssues(issues)}`,
      issues,
    );
  }
}

import type { FreeswitchSettings } from '../../src/telephony/freeswitch/config.js';

/**
 * What the live freeswitch suite and benchmark need from the environment, read in one place.
 */
export interface LiveEnv {
  drachtio: { host: string; port: number; secret: string };
  freeswitch: { host: string; port: number; secret: string };
  /** Where drachtio-server takes SIP (sipp sends INVITEs here), host:port. */
  drachtioSip: string;
  /** Address sipp binds and advertises; drachtio-server and FreeSWITCH must reach it. */
  sippAddress: string;
  /** The shared folder as this process sees it, and as FreeSWITCH sees it. */
  sharedLocal: string;
  sharedRemote: string;
  /** Where FreeSWITCH's outbound event-socket connections reach this process. */
  listenAddress: string;
  advertisedAddress: string;
}

export const REQUIRED = [
  'DRACHTIO_HOST',
  'DRACHTIO_PORT',
  'DRACHTIO_SECRET',
  'FREESWITCH_HOST',
  'FREESWITCH_PORT',
  'FREESWITCH_SECRET',
];

export const HELP = `The live freeswitch suite needs running daemons. Set:
  DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET       drachtio-server admin socket (e.g. 127.0.0.1 9022 cymru)
  FREESWITCH_HOST, FREESWITCH_PORT, FREESWITCH_SECRET FreeSWITCH event socket (e.g. 127.0.0.1 8021 ClueCon)
optional:
  DRACHTIO_SIP            host:port where drachtio-server takes SIP (default DRACHTIO_HOST:5060)
  SIPP_ADDRESS            address sipp binds, reachable by drachtio and FreeSWITCH (default 127.0.0.1)
  FREESWITCH_SHARED_DIR   shared folder as seen here (default ./data/freeswitch-live)
  FREESWITCH_SHARED_DIR_REMOTE  the same folder as FreeSWITCH sees it (default: same path)
  FREESWITCH_LISTEN_ADDRESS / FREESWITCH_ADVERTISED_ADDRESS  where FreeSWITCH's outbound event
                          socket reaches this process (default SIPP_ADDRESS)
  docker/README.md shows how to start both with docker compose.`;

export function liveEnv(env: Record<string, string | undefined> = process.env): LiveEnv | undefined {
  if (REQUIRED.some((k) => !env[k])) return undefined;
  const sippAddress = env.SIPP_ADDRESS ?? '127.0.0.1';
  const sharedLocal = env.FREESWITCH_SHARED_DIR ?? './data/freeswitch-live';
  return {
    drachtio: { host: env.DRACHTIO_HOST!, port: Number(env.DRACHTIO_PORT), secret: env.DRACHTIO_SECRET! },
    freeswitch: {
      host: env.FREESWITCH_HOST!,
      port: Number(env.FREESWITCH_PORT),
      secret: env.FREESWITCH_SECRET!,
    },
    drachtioSip: env.DRACHTIO_SIP ?? `${env.DRACHTIO_HOST}:5060`,
    sippAddress,
    sharedLocal,
    sharedRemote: env.FREESWITCH_SHARED_DIR_REMOTE ?? '',
    listenAddress: env.FREESWITCH_LISTEN_ADDRESS ?? sippAddress,
    advertisedAddress: env.FREESWITCH_ADVERTISED_ADDRESS ?? env.FREESWITCH_LISTEN_ADDRESS ?? sippAddress,
  };
}

/**
 * Backend settings for the live daemons: one media server named `name`, 2 s reconnect cap, 10 s commands,
 * the audio-fork server on the listen address, any port.
 */
export function liveSettings(env: LiveEnv, name: string): FreeswitchSettings {
  return {
    drachtio: { ...env.drachtio, connect_timeout_ms: 5000, max_retry_delay_ms: 2000 },
    media_servers: [
      {
        name,
        address: env.freeswitch.host,
        port: env.freeswitch.port,
        secret: env.freeswitch.secret,
        listen_address: env.listenAddress,
        listen_port: 0,
        advertised_address: env.advertisedAddress,
      },
    ],
    shared_dir: { local: env.sharedLocal, remote: env.sharedRemote },
    max_retry_delay_ms: 2000,
    operation_timeout_ms: 10_000,
    // FreeSWITCH's audio fork dials back where its outbound event socket does.
    audio_fork_address: env.listenAddress,
    audio_fork_port: 0,
    audio_fork_url: '',
  };
}

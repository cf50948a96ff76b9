import { Type, type Static } from '@sinclair/typebox';
import { FreeswitchConfig } from '../telephony/freeswitch/config.js';
import { CallsConfig } from '../calls/calls-config.js';
import { RecordingConfig } from '../calls/recording/recording-config.js';
import { AmdServerConfig } from '../calls/amd/amd-call-settings.js';
import { ClusterConfig } from '../cluster/cluster-config.js';

/**
 * The whole configuration. `config/default.yaml` documents every key; this schema is what is
 * enforced. Unknown keys are refused so a typo never silently falls back to a default.
 * Keys are snake_case; the environment override of `a.b_c` is `CALLWRIGHT_A_B_C`.
 */
const Strict = { additionalProperties: false } as const;

export const DataConfig = Type.Object(
  {
    dir: Type.String({
      minLength: 1,
      description: 'Folder for the SQLite file, recordings and prompt cache',
    }),
    database: Type.String({ minLength: 1, description: 'SQLite file name inside data.dir' }),
    sqlite_cache_mb: Type.Integer({
      minimum: 1,
      maximum: 4096,
      description:
        "SQLite page cache of the server's connection, MB: part of the resident memory, filled as the database is read and grown",
    }),
    postgres_url: Type.String({
      pattern: '^$|^postgres(ql)?://',
      description:
        'PostgreSQL connection URL (postgres://user:password@host:port/database); empty = the SQLite file',
    }),
    postgres_pool_size: Type.Integer({
      minimum: 1,
      maximum: 200,
      description: 'Connections this node keeps open to PostgreSQL',
    }),
  },
  Strict,
);

export const ApiConfig = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    public_url: Type.String({
      description: 'Base URL used in links the server sends out; empty = http://host:port',
    }),
    docs: Type.Boolean({ description: 'Serve OpenAPI at /docs' }),
    dashboard: Type.Boolean({ description: 'Serve the web dashboard at /ui (docs/dashboard.md)' }),
    session_ttl_s: Type.Integer({
      minimum: 60,
      maximum: 2_592_000,
      description: 'Lifetime of a dashboard sign-in session (its cookie), seconds',
    }),
  },
  Strict,
);

/** Prometheus exposition (`GET /metrics`, docs/metrics.md). */
export const MetricsConfig = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Serve Prometheus metrics at /metrics' }),
    require_key: Type.Boolean({
      description: 'Ask for an API key at /metrics (the metrics hold no personal data; default open)',
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      description:
        '0 = serve /metrics on the admin API port; otherwise a listener of its own on metrics.host',
    }),
    host: Type.String({ minLength: 1, description: 'Bind address of the own metrics listener (port > 0)' }),
  },
  Strict,
);

export const LogConfig = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    ),
    redact_pii: Type.Boolean(),
  },
  Strict,
);

export const TelephonyConfig = Type.Object(
  {
    backend: Type.Union([Type.Literal('embedded'), Type.Literal('freeswitch')]),
  },
  Strict,
);

export const SipTrunkConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Name used by dial requests and logs' }),
    host: Type.String({ minLength: 1, description: 'Trunk or PBX address (IP or host name)' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 5060 }),
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp' }),
    username: Type.String({ default: '', description: 'Digest user for outbound calls; empty = none' }),
    password: Type.String({ default: '', description: 'Digest password for outbound calls' }),
    allow_refer: Type.Boolean({ default: true, description: 'Transfers by REFER are allowed on this trunk' }),
    dtmf_method: Type.Union([Type.Literal('rfc4733'), Type.Literal('info')], { default: 'rfc4733' }),
    caller_id: Type.String({
      default: '',
      format: 'e164-or-empty',
      description: "Default caller id (From user) for calls out: an E.164 number; empty = the dial request's",
    }),
    inbound_allow: Type.Array(Type.String(), {
      default: [],
      description: 'IPs/CIDRs whose requests are accepted as this trunk',
    }),
    inbound_username: Type.String({ default: '', description: 'Digest user the trunk must authenticate as' }),
    inbound_password: Type.String({ default: '' }),
    // Admission control per trunk (see AdmissionConfig): absent or 0 = only the totals apply.
    max_concurrent_calls: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Calls of this trunk (in and out) at once; 0 = no limit' }),
    ),
    max_calls_per_second: Type.Optional(
      Type.Number({ minimum: 0, description: 'New calls of this trunk per second; 0 = no limit' }),
    ),
  },
  Strict,
);

/** Brute-force protection for inbound digest authentication (src/telephony/sip/digest-bans.ts). */
export const SipAuthBansConfig = Type.Object(
  {
    max_failures: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 10,
      description: 'Failed digest answers from one source within window_s that ban it; 0 = never ban',
    }),
    window_s: Type.Integer({
      minimum: 1,
      maximum: 86400,
      default: 60,
      description: 'Seconds over which failures are counted',
    }),
    ban_s: Type.Integer({
      minimum: 1,
      maximum: 604800,
      default: 600,
      description: 'Seconds a banned source gets no answer at all',
    }),
  },
  { ...Strict, default: {} },
);

/**
 * SIP over WebSocket (RFC 7118) for the dashboard's browser phone: the listener of the embedded backend,
 * and the phone tokens both backends check on a browser's INVITE (docs/telephony.md).
 */
export const SipWebSocketConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Listen for SIP over WebSocket (browser phone)' }),
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Bind address of the listener' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 5066, description: '0 = any free port' }),
    public_url: Type.String({
      default: '',
      description:
        'ws:// or wss:// URL browsers connect to; empty = ws(s)://<host the dashboard was loaded from>:<port>',
    }),
    tls_cert: Type.String({ default: '', description: 'PEM certificate file: WSS instead of WS' }),
    tls_key: Type.String({ default: '', description: 'PEM private key file of tls_cert' }),
    max_connections: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 200,
      description: 'WebSocket connections at once; more are refused (HTTP 503)',
    }),
    ping_interval_s: Type.Integer({
      minimum: 5,
      maximum: 3600,
      default: 30,
      description: 'WebSocket ping interval; a connection that misses a pong is closed',
    }),
    token_secret: Type.String({
      default: '',
      description:
        'HMAC key of phone tokens (32+ characters); empty = a random key per process (set one when the API and SIP run in different processes)',
    }),
    token_ttl_s: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 120,
      description: 'How long a phone token may start a call',
    }),
  },
  { ...Strict, default: {} },
);

export const SipConfig = Type.Object(
  {
    address: Type.String({ minLength: 1, description: 'Bind address for SIP' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: '0 = any free port' }),
    transports: Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp')]), { minItems: 1 }),
    public_address: Type.String({ description: 'Host advertised in Via/Contact/SDP; empty = address' }),
    trunks: Type.Array(SipTrunkConfig),
    allow: Type.Array(Type.String(), { description: 'IPs/CIDRs allowed to call in without a trunk' }),
    scanner_user_agents: Type.Array(Type.String(), {
      description: 'User-Agent substrings dropped silently',
    }),
    dids: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Accepted Request-URI users: "*", exact users, or patterns with * and ?',
    }),
    t1_ms: Type.Integer({ minimum: 50, maximum: 10000 }),
    t2_ms: Type.Integer({ minimum: 100, maximum: 60000 }),
    t4_ms: Type.Integer({ minimum: 100, maximum: 60000 }),
    ring_timeout_ms: Type.Integer({ minimum: 1000, maximum: 600000 }),
    refer_notify_timeout_ms: Type.Integer({ minimum: 1000, maximum: 600000 }),
    user_agent: Type.String({ description: 'User-Agent/Server header value' }),
    auth_bans: SipAuthBansConfig,
    websocket: SipWebSocketConfig,
  },
  Strict,
);

export const MediaConfig = Type.Object(
  {
    address: Type.String({ minLength: 1, description: 'Address the RTP sockets bind to' }),
    advertised_address: Type.String({
      description: 'Address written in SDP c= lines; empty = media.address, or the first non-loopback IPv4',
    }),
    rtp_port_min: Type.Integer({ minimum: 1024, maximum: 65534, description: 'Lowest RTP port (even)' }),
    rtp_port_max: Type.Integer({ minimum: 1024, maximum: 65535, description: 'Highest RTP port' }),
    timeout_ms: Type.Integer({ minimum: 0, description: 'No RTP for this long ends the call; 0 = never' }),
    hold_music: Type.String({ description: 'WAV played to a held party; empty = a generated gentle tone' }),
    workers: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0, maximum: 64 })], {
      description:
        'Media worker threads: 0 = RTP on the main thread, N threads, or auto = one per core (max 8)',
    }),
  },
  Strict,
);

const Url = (description: string) => Type.String({ minLength: 1, description });
const Key = Type.String({ description: 'API key; empty = unset (the provider cannot be used)' });

/** End of turn and barge-in defaults; each agent may override them (agent `speech`). */
export const TurnConfig = Type.Object(
  {
    end_of_turn_ms: Type.Integer({
      minimum: 100,
      maximum: 10000,
      description: "Silence after speech that ends the caller's turn",
    }),
    min_speech_ms: Type.Integer({
      minimum: 40,
      maximum: 5000,
      description: 'Speech shorter than this is noise (a cough, a click), not a turn',
    }),
    max_utterance_ms: Type.Integer({
      minimum: 1000,
      maximum: 120000,
      description: 'A turn is cut here even while the caller keeps talking',
    }),
    barge_in: Type.Boolean({ description: "Caller speech or a key stops the agent's audio" }),
    barge_in_min_speech_ms: Type.Integer({
      minimum: 40,
      maximum: 2000,
      description: "Speech that long stops the agent's audio (barge-in)",
    }),
    vad_mode: Type.Integer({
      minimum: 0,
      maximum: 3,
      description: 'WebRTC voice activity aggressiveness: 0 (most speech kept) to 3 (most noise dropped)',
    }),
  },
  Strict,
);

export const SpeechConfig = Type.Object(
  {
    provider: Type.Union([Type.Literal('espeak'), Type.Literal('openai'), Type.Literal('elevenlabs')], {
      description: 'Default synthesiser: espeak (offline), openai (/v1/audio/speech), elevenlabs',
    }),
    voice: Type.String({ minLength: 1, description: 'Default espeak-ng voice (espeak-ng -v)' }),
    cache_dir: Type.String({ description: 'Synthesised prompt cache; empty = <data.dir>/prompts' }),
    timeout_ms: Type.Integer({ minimum: 100, description: 'Longest a synthesis may take' }),
    recognizer: Type.Union(
      [Type.Literal('pocketsphinx'), Type.Literal('deepgram'), Type.Literal('openai'), Type.Literal('none')],
      { description: 'Default recogniser: pocketsphinx (offline), deepgram, openai, none (no listening)' },
    ),
    language: Type.String({
      minLength: 2,
      maxLength: 35,
      description: 'Default recognition language (BCP 47)',
    }),
    provider_timeout_ms: Type.Integer({
      minimum: 100,
      maximum: 120000,
      description: 'Longest a cloud speech provider may take to connect or to answer one request',
    }),
    turn: TurnConfig,
    pocketsphinx: Type.Object(
      {
        python: Type.String({
          minLength: 1,
          description: 'Python 3 with the Debian python3-pocketsphinx module',
        }),
        model_dir: Type.String({
          minLength: 1,
          description: 'Folder of the Debian pocketsphinx-en-us model',
        }),
        decoders: Type.Integer({
          minimum: 0,
          maximum: 64,
          description: 'Decoder processes (each holds the model once); 0 = one per CPU core',
        }),
      },
      Strict,
    ),
    deepgram: Type.Object(
      {
        url: Url('Live streaming endpoint (wss://api.deepgram.com/v1/listen)'),
        api_key: Key,
        model: Type.String({ minLength: 1 }),
        endpointing_ms: Type.Integer({ minimum: 10, maximum: 10000, description: 'Deepgram endpointing' }),
      },
      Strict,
    ),
    openai_transcription: Type.Object(
      {
        base_url: Url('OpenAI-compatible API base (…/v1): OpenAI, Groq, local Whisper servers'),
        api_key: Key,
        model: Type.String({ minLength: 1 }),
      },
      Strict,
    ),
    openai_speech: Type.Object(
      {
        base_url: Url('OpenAI-compatible API base (…/v1): OpenAI, local Kokoro/Piper servers'),
        api_key: Key,
        model: Type.String({ minLength: 1 }),
        voice: Type.String({ minLength: 1, description: 'Default voice' }),
      },
      Strict,
    ),
    elevenlabs: Type.Object(
      {
        base_url: Url('ElevenLabs API base (https://api.elevenlabs.io)'),
        api_key: Key,
        voice_id: Type.String({ description: 'Default voice id' }),
        model_id: Type.String({ minLength: 1 }),
      },
      Strict,
    ),
  },
  Strict,
);

export const ActionsConfig = Type.Object(
  {
    before_budget_ms: Type.Integer({
      minimum: 0,
      maximum: 60000,
      description:
        'Time the before-call stage may take while the call rings; the call then proceeds without the results',
    }),
    fallback_disposition: Type.String({
      maxLength: 64,
      description: 'Call disposition applied to calls that end without one; empty = none',
    }),
  },
  Strict,
);

export const OutboxConfig = Type.Object(
  {
    poll_interval_ms: Type.Integer({ minimum: 5, maximum: 60000 }),
    lease_ms: Type.Integer({ minimum: 1000, maximum: 3600000 }),
    max_attempts: Type.Integer({ minimum: 1, maximum: 100 }),
    backoff_base_ms: Type.Integer({ minimum: 1, maximum: 3600000 }),
    backoff_max_ms: Type.Integer({ minimum: 1, maximum: 86400000 }),
    concurrency: Type.Integer({ minimum: 1, maximum: 1024 }),
    delivery_timeout_ms: Type.Integer({ minimum: 100, maximum: 600000 }),
  },
  Strict,
);

export const MailConfig = Type.Object(
  {
    from: Type.String({ description: 'From address of every mail the server sends; empty disables mail' }),
    smtp: Type.Object(
      {
        host: Type.String(),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        secure: Type.Boolean(),
        require_tls: Type.Boolean(),
        username: Type.String(),
        password: Type.String(),
        timeout_ms: Type.Integer({ minimum: 100, maximum: 600000 }),
      },
      Strict,
    ),
  },
  Strict,
);

export const HttpConfig = Type.Object(
  {
    allow_private: Type.Boolean({
      description:
        'Allow outbound HTTP to private, loopback, link-local, CGNAT, ULA and cloud-metadata addresses',
    }),
    allow_hosts: Type.Array(Type.String({ minLength: 1 }), {
      description: 'Host names or IPs/CIDRs reachable even when they resolve to a private address',
    }),
    timeout_ms: Type.Integer({ minimum: 100, maximum: 600000, description: 'Default time for one request' }),
    max_response_bytes: Type.Integer({ minimum: 1024, maximum: 104857600 }),
    max_redirects: Type.Integer({ minimum: 0, maximum: 10 }),
    allow_cross_host_redirects: Type.Boolean({ description: 'Follow redirects to another host' }),
  },
  Strict,
);

export const ContactsConfig = Type.Object(
  {
    default_country: Type.String({
      format: 'phone-country',
      description:
        'ISO 3166-1 alpha-2 country whose national numbers (no +) the API, CSV import and CLI accept; empty = + only',
    }),
  },
  Strict,
);

export const SmsConfig = Type.Object(
  {
    default_provider: Type.Union([Type.Literal('twilio'), Type.Literal('http')]),
    twilio: Type.Object(
      {
        account_sid: Type.String(),
        auth_token: Type.String(),
        from: Type.String({ format: 'e164-or-empty', description: 'Sender number for SMS (E.164)' }),
        whatsapp_from: Type.String({
          format: 'e164-or-empty',
          description: 'Sender number for WhatsApp (E.164)',
        }),
        base_url: Type.String({ minLength: 1 }),
      },
      Strict,
    ),
    http: Type.Object(
      {
        url: Type.String(),
        token: Type.String(),
        from: Type.String({ format: 'e164-or-empty', description: 'Sender number (E.164)' }),
        id_path: Type.String({ minLength: 1 }),
        status_path: Type.String({ minLength: 1 }),
      },
      Strict,
    ),
  },
  Strict,
);

export const CrmConfig = Type.Object(
  {
    hubspot: Type.Object({ token: Type.String(), base_url: Type.String({ minLength: 1 }) }, Strict),
    salesforce: Type.Object(
      {
        instance_url: Type.String(),
        token: Type.String(),
        api_version: Type.String({ pattern: '^v\\d+\\.\\d$' }),
      },
      Strict,
    ),
  },
  Strict,
);

export const LlmConfig = Type.Object(
  {
    base_url: Type.String({
      description: 'OpenAI-compatible API base URL (…/v1); empty = no LLM, built-in fallbacks are used',
    }),
    api_key: Type.String({ description: 'Bearer key sent to the LLM API; empty = no Authorization header' }),
    model: Type.String({ description: 'Model name sent with every request' }),
    timeout_ms: Type.Integer({ minimum: 100, maximum: 600000, description: 'Longest one request may take' }),
    temperature: Type.Number({ minimum: 0, maximum: 2 }),
    max_tokens: Type.Integer({ minimum: 1, maximum: 100000, description: 'Upper bound of one reply' }),
    azure_api_version: Type.Optional(
      Type.String({
        pattern: '^$|^\\d{4}-\\d{2}-\\d{2}(-preview)?$',
        description:
          'Azure OpenAI api-version (e.g. 2024-10-21); set = Azure: api-key header and ?api-version= query',
      }),
    ),
  },
  Strict,
);

const BookingHours = Type.Array(
  Type.Object(
    {
      start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }),
      end: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$' }),
    },
    Strict,
  ),
);

export const CalDavCalendarConfig = Type.Object(
  {
    user: Type.String({ minLength: 1, description: 'User id or name whose calendar this is' }),
    url: Type.String({ minLength: 1, description: 'CalDAV calendar collection URL (ends with /)' }),
    username: Type.String({ default: '' }),
    password: Type.String({ default: '' }),
  },
  Strict,
);

export const BookingConfig = Type.Object(
  {
    horizon_days: Type.Integer({ minimum: 1, maximum: 366, description: 'How far ahead slots are offered' }),
    min_notice_minutes: Type.Integer({ minimum: 0, maximum: 43200 }),
    max_slots: Type.Integer({
      minimum: 1,
      maximum: 200,
      description: 'Slots one availability check returns',
    }),
    default_slot_minutes: Type.Integer({ minimum: 5, maximum: 480 }),
    default_working_hours: Type.Object(
      {
        mon: Type.Optional(BookingHours),
        tue: Type.Optional(BookingHours),
        wed: Type.Optional(BookingHours),
        thu: Type.Optional(BookingHours),
        fri: Type.Optional(BookingHours),
        sat: Type.Optional(BookingHours),
        sun: Type.Optional(BookingHours),
      },
      Strict,
    ),
    ics_dir: Type.String({ description: 'Folder for ICS invites; empty = <data.dir>/ics' }),
    organizer_email: Type.String({ description: "ORGANIZER of invites; empty = the user's email" }),
    caldav_timeout_ms: Type.Integer({ minimum: 100, maximum: 600000 }),
    calendars: Type.Array(CalDavCalendarConfig),
  },
  Strict,
);

export const TracingConfig = Type.Object(
  {
    enabled: Type.Boolean({
      description: 'Export OpenTelemetry traces and send traceparent on outgoing HTTP',
    }),
    otlp_endpoint: Type.String({
      description: 'OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces (required when enabled)',
    }),
    service_name: Type.String({ minLength: 1, description: 'service.name of the exported spans' }),
    sample_ratio: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'Share of calls traced (0..1); a continued trace keeps its own decision',
    }),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: 'Headers sent with every export (a collector API key)',
      }),
    ),
  },
  Strict,
);
// ---- admission control (src/calls/admission.ts; docs/operations.md "Admission control") ----
export const AdmissionConfig = Type.Object(
  {
    max_concurrent_calls: Type.Integer({
      minimum: 0,
      description:
        'Calls at once, in and out together; over it a new call gets 503 + Retry-After; 0 = no limit',
    }),
    max_calls_per_second: Type.Number({
      minimum: 0,
      description: 'New calls per second (token bucket, burst of one second); 0 = no limit',
    }),
    retry_after_s: Type.Integer({
      minimum: 1,
      maximum: 3600,
      description: 'Retry-After (seconds) sent with every 503 a refused call or OPTIONS probe gets',
    }),
    auto: Type.Boolean({
      description: 'Refuse new calls while the event loop is overloaded (delay measured by perf_hooks)',
    }),
  },
  Strict,
);
export type AdmissionSettings = Static<typeof AdmissionConfig>;
// ---- end of admission control ----

export const ConfigSchema = Type.Object(
  {
    data: DataConfig,
    api: ApiConfig,
    metrics: MetricsConfig,
    log: LogConfig,
    telephony: TelephonyConfig,
    freeswitch: FreeswitchConfig,
    media: MediaConfig,
    speech: SpeechConfig,
    sip: SipConfig,
    actions: ActionsConfig,
    outbox: OutboxConfig,
    mail: MailConfig,
    calls: CallsConfig,
    admission: AdmissionConfig,
    contacts: ContactsConfig,
    http: HttpConfig,
    sms: SmsConfig,
    crm: CrmConfig,
    llm: LlmConfig,
    booking: BookingConfig,
    tracing: TracingConfig,
    // Whole-call recording: storage, retention, links, recording-ready webhook (docs/recording.md).
    recording: RecordingConfig,
    // Answering-machine detection on calls out (docs/amd.md).
    amd: AmdServerConfig,
    // Several nodes sharing one PostgreSQL store (docs/scaling.md).
    cluster: ClusterConfig,
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;
export type MetricsSettings = Static<typeof MetricsConfig>;
export type ActionsSettings = Static<typeof ActionsConfig>;
export type OutboxSettings = Static<typeof OutboxConfig>;
export type SipSettings = Static<typeof SipConfig>;
export type SipTrunkSettings = Static<typeof SipTrunkConfig>;
export type SipAuthBansSettings = Static<typeof SipAuthBansConfig>;
export type SipWebSocketSettings = Static<typeof SipWebSocketConfig>;
export type MailSettings = Static<typeof MailConfig>;
export type SpeechSettings = Static<typeof SpeechConfig>;
export type TurnSettings = Static<typeof TurnConfig>;
export type HttpSettings = Static<typeof HttpConfig>;
export type LlmSettings = Static<typeof LlmConfig>;
export type BookingSettings = Static<typeof BookingConfig>;
export type TracingSettings = Static<typeof TracingConfig>;

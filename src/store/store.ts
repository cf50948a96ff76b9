import type { AgentSpeechSettings } from '../speech/agent-speech.js';
import type { AgentRecordingSettings } from '../calls/recording/agent-recording.js';
import type { AgentAmdSettings } from '../calls/amd/amd-call-settings.js';
import type { Db } from './database.js';
import { openDatabase } from './database.js';
import { TableRepository, type Row } from './repository.js';
import { ApiKeyRepository } from './repositories/api-keys.js';
import { UiSessionRepository } from './repositories/ui-sessions.js';
import { ContactRepository } from './repositories/contacts.js';
import { RingGroupMemberRepository } from './repositories/ring-group-members.js';
import { CallEventRepository } from './repositories/call-events.js';
import { CallRepository } from './repositories/calls.js';
import { CallFeed } from './call-feed.js';
import type { Dialect, SqlDatabase, TransactionOptions } from './sql/sql-database.js';
import { SqliteDatabase } from './sql/sqlite-database.js';
import { PostgresDatabase, type PostgresOptions } from './sql/postgres-database.js';
import { checkPostgresSchema, migratePostgres } from './postgres/migrate.js';

/** Record shapes as the API and the engine see them (JSON columns parsed, booleans as booleans). */
export interface AgentRecord extends Row {
  id: string;
  name: string;
  kind: 'scripted' | 'webhook' | 'llm' | 'realtime';
  description: string;
  language: string;
  voice: string;
  config: Record<string, unknown>;
  targets: Record<string, unknown>;
  /** How the agent hears and speaks (AgentSpeech); {} = the server's speech settings. */
  speech: AgentSpeechSettings;
  /** Whole-call recording (docs/recording.md); {} = not recorded. */
  recording: AgentRecordingSettings;
  /** Answering-machine detection on its calls out (docs/amd.md); {} = the server's `amd` settings. */
  amd: AgentAmdSettings;
  created_at: string;
  updated_at: string;
}

export interface ActionDefinitionRecord extends Row {
  id: string;
  name: string;
  type: string;
  description: string;
  config: Record<string, unknown>;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type Stage = 'before' | 'during' | 'after';

export interface AttachmentRecord extends Row {
  id: string;
  agent_id: string;
  action_id: string;
  stage: Stage;
  position: number;
  triggers: unknown[];
  failure_policy: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ContactRecord extends Row {
  id: string;
  phone: string;
  first_name: string;
  last_name: string;
  email: string;
  timezone: string;
  properties: Record<string, unknown>;
  disposition: string | null;
  dnc: boolean;
  dnc_at: string | null;
  dnc_by: string | null;
  dnc_reason: string | null;
  sms_opt_out: boolean;
  created_at: string;
  updated_at: string;
}

export interface NamedRecord extends Row {
  id: string;
  name: string;
  created_at: string;
}

export interface ListRecord extends NamedRecord {
  description: string;
}

export interface DispositionRecord extends Row {
  id: string;
  scope: 'call' | 'contact';
  code: string;
  label: string;
  description: string;
  created_at: string;
}

export interface UserRecord extends Row {
  id: string;
  name: string;
  email: string;
  phone: string;
  sip_uri: string;
  timezone: string;
  working_hours: Record<string, unknown>;
  slot_minutes: number;
  created_at: string;
  updated_at: string;
}

export interface RingGroupRecord extends Row {
  id: string;
  name: string;
  strategy: 'simultaneous' | 'sequential';
  member_timeout_secs: number;
  created_at: string;
  updated_at: string;
}

export interface LineRecord extends Row {
  id: string;
  name: string;
  target: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface NumberRecord extends Row {
  id: string;
  number: string;
  agent_id: string;
  description: string;
  /** Whole-call recording of calls to this number: the agent's setting, or always / never. */
  record: 'agent' | 'always' | 'never';
  created_at: string;
}

export interface CallRecord extends Row {
  id: string;
  direction: 'inbound' | 'outbound';
  from_number: string;
  to_number: string;
  agent_id: string | null;
  contact_id: string | null;
  sip_call_id: string | null;
  state: string;
  outcome: string | null;
  end_reason: string | null;
  hangup_by: string | null;
  call_disposition: string | null;
  contact_disposition: string | null;
  transfer: Record<string, unknown> | null;
  variables: Record<string, unknown>;
  collected: Record<string, unknown>;
  summary: string | null;
  evaluation: Record<string, unknown> | null;
  recording_path: string | null;
  /** recording → uploading → ready (or failed); deleted by the retention sweeper. */
  recording_status: 'recording' | 'uploading' | 'ready' | 'failed' | 'deleted' | null;
  recording_duration_ms: number | null;
  recording_deleted_at: string | null;
  /** The latest answering-machine detection decision `{outcome, reason, evidence}`; null = none ran. */
  amd: Record<string, unknown> | null;
  /** The node holding the call (cluster.node_id); null for calls from before nodes were recorded. */
  node_id: string | null;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
}

/**
 * All repositories over one database: SQLite (one box, the default) or PostgreSQL (several nodes). Every
 * repository call is asynchronous; wrap multi-step writes in `store.transaction`, which every repository
 * call made inside it joins.
 */
export class Store {
  readonly agents: TableRepository<AgentRecord>;
  readonly actions: TableRepository<ActionDefinitionRecord>;
  readonly attachments: TableRepository<AttachmentRecord>;
  readonly contacts: ContactRepository;
  readonly tags: TableRepository<NamedRecord>;
  readonly lists: TableRepository<ListRecord>;
  readonly dispositions: TableRepository<DispositionRecord>;
  readonly users: TableRepository<UserRecord>;
  readonly ringGroups: TableRepository<RingGroupRecord>;
  readonly ringGroupMembers: RingGroupMemberRepository;
  readonly lines: TableRepository<LineRecord>;
  readonly numbers: TableRepository<NumberRecord>;
  readonly calls: CallRepository;
  readonly callEvents: CallEventRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly uiSessions: UiSessionRepository;
  /** Changes to calls, their events and their action runs, as they are written (live views). */
  readonly feed = new CallFeed();
  /**
   * This process's node id (cluster.node_id): stamped on the calls it creates so requests about them
   * find it and a survivor knows whose calls to close. Set once at start; tools leave it unset.
   */
  nodeId: string | null = null;

  constructor(readonly sql: SqlDatabase) {
    const db = sql;
    this.agents = new TableRepository(db, 'agents', 'agent', 'agt', [
      { name: 'name' },
      { name: 'kind' },
      { name: 'description' },
      { name: 'language' },
      { name: 'voice' },
      { name: 'config', kind: 'json' },
      { name: 'targets', kind: 'json' },
      { name: 'speech', kind: 'json' },
      { name: 'recording', kind: 'json' },
      { name: 'amd', kind: 'json' },
    ]);
    this.actions = new TableRepository(db, 'action_definitions', 'action definition', 'act', [
      { name: 'name' },
      { name: 'type' },
      { name: 'description' },
      { name: 'config', kind: 'json' },
      { name: 'enabled', kind: 'bool' },
    ]);
    this.attachments = new TableRepository(
      db,
      'agent_actions',
      'attachment',
      'att',
      [
        { name: 'agent_id' },
        { name: 'action_id' },
        { name: 'stage' },
        { name: 'position', kind: 'int' },
        { name: 'triggers', kind: 'json' },
        { name: 'failure_policy', kind: 'json' },
      ],
      { order: 'agent_id, stage, position, id' },
    );
    this.contacts = new ContactRepository(db);
    this.tags = new TableRepository(db, 'tags', 'tag', 'tag', [{ name: 'name' }], { updatedAt: false });
    this.lists = new TableRepository(
      db,
      'lists',
      'list',
      'lst',
      [{ name: 'name' }, { name: 'description' }],
      {
        updatedAt: false,
      },
    );
    this.dispositions = new TableRepository(
      db,
      'dispositions',
      'disposition',
      'dsp',
      [{ name: 'scope' }, { name: 'code' }, { name: 'label' }, { name: 'description' }],
      { updatedAt: false },
    );
    this.users = new TableRepository(db, 'users', 'user', 'usr', [
      { name: 'name' },
      { name: 'email' },
      { name: 'phone' },
      { name: 'sip_uri' },
      { name: 'timezone' },
      { name: 'working_hours', kind: 'json' },
      { name: 'slot_minutes', kind: 'int' },
    ]);
    this.ringGroups = new TableRepository(db, 'ring_groups', 'ring group', 'rgp', [
      { name: 'name' },
      { name: 'strategy' },
      { name: 'member_timeout_secs', kind: 'int' },
    ]);
    this.ringGroupMembers = new RingGroupMemberRepository(db);
    this.lines = new TableRepository(db, 'lines', 'line', 'lin', [
      { name: 'name' },
      { name: 'target' },
      { name: 'description' },
    ]);
    this.numbers = new TableRepository(
      db,
      'numbers',
      'number',
      'num',
      [{ name: 'number' }, { name: 'agent_id' }, { name: 'description' }, { name: 'record' }],
      { updatedAt: false },
    );
    this.calls = new CallRepository(
      db,
      [
        { name: 'direction' },
        { name: 'from_number' },
        { name: 'to_number' },
        { name: 'agent_id' },
        { name: 'contact_id' },
        { name: 'sip_call_id' },
        { name: 'state' },
        { name: 'outcome' },
        { name: 'end_reason' },
        { name: 'hangup_by' },
        { name: 'call_disposition' },
        { name: 'contact_disposition' },
        { name: 'transfer', kind: 'json' },
        { name: 'variables', kind: 'json' },
        { name: 'collected', kind: 'json' },
        { name: 'summary' },
        { name: 'evaluation', kind: 'json' },
        { name: 'recording_path' },
        { name: 'recording_status' },
        { name: 'recording_duration_ms', kind: 'int' },
        { name: 'recording_deleted_at' },
        { name: 'amd', kind: 'json' },
        { name: 'node_id' },
        { name: 'started_at' },
        { name: 'answered_at' },
        { name: 'ended_at' },
        { name: 'duration_ms', kind: 'int' },
      ],
      this.feed,
      () => this.nodeId,
    );
    this.callEvents = new CallEventRepository(db, this.feed);
    this.apiKeys = new ApiKeyRepository(db);
    this.uiSessions = new UiSessionRepository(db);
  }

  /** A SQLite file (created and migrated when needed); `:memory:` for a throwaway one. */
  static open(file: string, options: { cacheMb?: number } = {}): Store {
    return new Store(new SqliteDatabase(openDatabase(file, options)));
  }

  /** A PostgreSQL database at `url`, migrated to this build's schema unless `migrate` is false. */
  static async connect(options: PostgresOptions & { migrate?: boolean }): Promise<Store> {
    const sql = new PostgresDatabase(options);
    try {
      if (options.migrate ?? true) await migratePostgres(sql);
      else await checkPostgresSchema(sql);
    } catch (err) {
      await sql.close();
      throw err;
    }
    return new Store(sql);
  }

  get dialect(): Dialect {
    return this.sql.dialect;
  }

  /** The better-sqlite3 handle of a SQLite store (backups, tests); a PostgreSQL store has none. */
  get db(): Db {
    if (!(this.sql instanceof SqliteDatabase))
      throw new Error('this store is PostgreSQL: it has no SQLite handle');
    return this.sql.db;
  }

  /** Runs `fn` in one transaction: every repository call inside it commits or rolls back together. */
  transaction<T>(fn: () => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.sql.transaction(fn, options);
  }

  /** Closes the database (a SQLite store closes at once unless a transaction is open). */
  close(): Promise<void> {
    return this.sql.close();
  }
}

import type { SqlDatabase } from '../../store/sql/sql-database.js';
import { TableRepository, type Row } from '../../store/repository.js';

export interface VoicemailRecord extends Row {
  id: string;
  call_id: string | null;
  agent_id: string | null;
  from_number: string;
  to_number: string;
  recording_path: string;
  duration_ms: number;
  transcript: string | null;
  notified_at: string | null;
  created_at: string;
}

/** The `voicemails` table (migration 001): one row per message left, its WAV on disk. */
export class VoicemailRepository extends TableRepository<VoicemailRecord> {
  constructor(sql: SqlDatabase) {
    super(
      sql,
      'voicemails',
      'voicemail',
      'vm',
      [
        { name: 'call_id' },
        { name: 'agent_id' },
        { name: 'from_number' },
        { name: 'to_number' },
        { name: 'recording_path' },
        { name: 'duration_ms', kind: 'int' },
        { name: 'transcript' },
        { name: 'notified_at' },
      ],
      { updatedAt: false, order: 'created_at DESC, rowid DESC' },
    );
  }
}

const repositories = new WeakMap<SqlDatabase, VoicemailRepository>();

/** The voicemails of a database (`store.sql`): one repository per database. */
export function voicemailsOf(sql: SqlDatabase): VoicemailRepository {
  let repo = repositories.get(sql);
  if (!repo) {
    repo = new VoicemailRepository(sql);
    repositories.set(sql, repo);
  }
  return repo;
}

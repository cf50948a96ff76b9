import type { SqlDatabase } from '../../store/sql/sql-database.js';
import { TableRepository, type Row } from '../../store/repository.js';
import type { MessageChannel } from './sms-provider.js';

export type MessageStatus = 'sending' | 'refused' | 'failed' | 'received' | string;

export interface MessageRecord extends Row {
  id: string;
  call_id: string | null;
  contact_id: string | null;
  direction: 'outbound' | 'inbound';
  channel: MessageChannel;
  from_number: string;
  to_number: string;
  body: string;
  provider: string;
  provider_id: string | null;
  status: MessageStatus;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/** The `messages` table: every SMS/WhatsApp sent, refused or received. */
export class MessageRepository extends TableRepository<MessageRecord> {
  constructor(sql: SqlDatabase) {
    super(sql, 'messages', 'message', 'msg', [
      { name: 'call_id' },
      { name: 'contact_id' },
      { name: 'direction' },
      { name: 'channel' },
      { name: 'from_number' },
      { name: 'to_number' },
      { name: 'body' },
      { name: 'provider' },
      { name: 'provider_id' },
      { name: 'status' },
      { name: 'error' },
    ]);
  }

  /** An earlier successful send of the same text for the same call (a retry must not send it twice). */
  async findSent(
    callId: string,
    to: string,
    channel: MessageChannel,
    body: string,
  ): Promise<MessageRecord | undefined> {
    const row = await this.sql.get<Row>(
      `SELECT * FROM messages WHERE call_id = ? AND to_number = ? AND channel = ? AND body = ?
       AND direction = 'outbound' AND provider_id IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
      [callId, to, channel, body],
    );
    return this.hydrate(row);
  }
}

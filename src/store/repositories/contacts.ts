import type { SqlDatabase } from '../sql/sql-database.js';
import { newId, nowIso } from '../ids.js';
import { pageBounds } from '../filtered-page.js';
import { TableRepository, type Page, type PageQuery, type Row } from '../repository.js';
import type { ContactRecord, ListRecord, NamedRecord } from '../store.js';
import { notFound } from '../../errors.js';

/** Filters for paging through contacts; each one given narrows the result. */
export interface ContactFilter {
  phone?: string;
  /** Text found in the first or last name, the full name or the email, or digits found in the phone. */
  q?: string;
  /** Tag name. */
  tag?: string;
  /** List id. */
  list?: string;
  dnc?: boolean;
}

export interface ContactListRef {
  id: string;
  name: string;
}

/** Who put a number on the Do-Not-Call list (or took it off) and why; the time is stamped here. */
export interface DncMark {
  by: string;
  reason: string;
}

/** One change of a contact's Do-Not-Call mark. */
export interface DncChange {
  change: 'set' | 'clear';
  by: string;
  reason: string;
  at: string;
}

/** The SQL of the contact's satellites (tags, lists, Do-Not-Call history); `by` is quoted (reserved in PostgreSQL). */
const SQL = {
  tagByName: 'SELECT id, name, created_at FROM tags WHERE name = ?',
  insertTag: 'INSERT OR IGNORE INTO tags (id, name, created_at) VALUES (?, ?, ?)',
  listByName: 'SELECT id, name, description, created_at FROM lists WHERE name = ?',
  listById: 'SELECT id FROM lists WHERE id = ?',
  insertList: 'INSERT OR IGNORE INTO lists (id, name, description, created_at) VALUES (?, ?, ?, ?)',
  tagsOf:
    'SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ? ORDER BY t.name',
  listsOf:
    'SELECT l.id, l.name FROM list_members m JOIN lists l ON l.id = m.list_id WHERE m.contact_id = ? ORDER BY l.name',
  addTag: 'INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, created_at) VALUES (?, ?, ?)',
  removeTag:
    'DELETE FROM contact_tags WHERE contact_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)',
  clearTags: 'DELETE FROM contact_tags WHERE contact_id = ?',
  addList: 'INSERT OR IGNORE INTO list_members (list_id, contact_id, created_at) VALUES (?, ?, ?)',
  removeList: 'DELETE FROM list_members WHERE list_id = ? AND contact_id = ?',
  clearLists: 'DELETE FROM list_members WHERE contact_id = ?',
  setDnc: 'UPDATE contacts SET dnc = 1, dnc_at = ?, dnc_by = ?, dnc_reason = ?, updated_at = ? WHERE id = ?',
  clearDnc:
    'UPDATE contacts SET dnc = 0, dnc_at = NULL, dnc_by = NULL, dnc_reason = NULL, updated_at = ? WHERE id = ?',
  addDncChange: 'INSERT INTO dnc_changes (contact_id, change, "by", reason, at) VALUES (?, ?, ?, ?, ?)',
  dncChanges:
    'SELECT change, "by", reason, at FROM dnc_changes WHERE contact_id = ? ORDER BY id DESC LIMIT ?',
} as const;

/**
 * Contacts plus their tags, list memberships and Do-Not-Call mark.
 * Tags are addressed by name and created on first use; lists are addressed by id and must exist.
 * Multi-step changes run in `store.transaction` when the caller opens one (every call here joins it).
 */
export class ContactRepository extends TableRepository<ContactRecord> {
  constructor(sql: SqlDatabase) {
    super(sql, 'contacts', 'contact', 'con', [
      { name: 'phone' },
      { name: 'first_name' },
      { name: 'last_name' },
      { name: 'email' },
      { name: 'timezone' },
      { name: 'properties', kind: 'json' },
      { name: 'disposition' },
      { name: 'dnc', kind: 'bool' },
      { name: 'dnc_at' },
      { name: 'dnc_by' },
      { name: 'dnc_reason' },
      { name: 'sms_opt_out', kind: 'bool' },
    ]);
  }

  findByPhone(phone: string): Promise<ContactRecord | undefined> {
    return this.findBy('phone', phone);
  }

  async tagsOf(contactId: string): Promise<string[]> {
    return (await this.sql.all<{ name: string }>(SQL.tagsOf, [contactId])).map((r) => r.name);
  }

  listsOf(contactId: string): Promise<ContactListRef[]> {
    return this.sql.all<ContactListRef>(SQL.listsOf, [contactId]);
  }

  /** The tag with this name, created when it does not exist yet (two writers at once: both get the one row). */
  async ensureTag(name: string): Promise<NamedRecord> {
    const found = await this.sql.get<NamedRecord>(SQL.tagByName, [name]);
    if (found) return found;
    await this.sql.run(SQL.insertTag, [newId('tag'), name, nowIso()]);
    return (await this.sql.get<NamedRecord>(SQL.tagByName, [name])) as NamedRecord;
  }

  /** The list with this name, created when it does not exist yet (imports name lists; the API uses ids). */
  async ensureList(name: string): Promise<ListRecord> {
    const found = await this.sql.get<ListRecord>(SQL.listByName, [name]);
    if (found) return found;
    await this.sql.run(SQL.insertList, [newId('lst'), name, '', nowIso()]);
    return (await this.sql.get<ListRecord>(SQL.listByName, [name])) as ListRecord;
  }

  /** Adds a tag by name; returns false when the contact already had it. */
  async addTag(contactId: string, name: string): Promise<boolean> {
    await this.require(contactId);
    const tag = await this.ensureTag(name);
    return (await this.sql.run(SQL.addTag, [contactId, tag.id, nowIso()])).changes > 0;
  }

  /** Removes a tag by name; returns false when the contact did not have it. */
  async removeTag(contactId: string, name: string): Promise<boolean> {
    await this.require(contactId);
    return (await this.sql.run(SQL.removeTag, [contactId, name])).changes > 0;
  }

  /** Replaces the contact's tags with exactly these names. */
  async setTags(contactId: string, names: string[]): Promise<void> {
    await this.sql.transaction(async () => {
      await this.sql.run(SQL.clearTags, [contactId]);
      for (const name of names) await this.addTag(contactId, name);
    });
  }

  /** Adds the contact to a list by id; returns false when already a member. */
  async addToList(contactId: string, listId: string): Promise<boolean> {
    await this.require(contactId);
    if (!(await this.sql.get(SQL.listById, [listId]))) throw notFound('list', listId);
    return (await this.sql.run(SQL.addList, [listId, contactId, nowIso()])).changes > 0;
  }

  async removeFromList(contactId: string, listId: string): Promise<boolean> {
    await this.require(contactId);
    if (!(await this.sql.get(SQL.listById, [listId]))) throw notFound('list', listId);
    return (await this.sql.run(SQL.removeList, [listId, contactId])).changes > 0;
  }

  /** Replaces the contact's list memberships with exactly these list ids. */
  async setLists(contactId: string, listIds: string[]): Promise<void> {
    await this.sql.transaction(async () => {
      await this.sql.run(SQL.clearLists, [contactId]);
      for (const id of listIds) await this.addToList(contactId, id);
    });
  }

  /** Puts the contact on the Do-Not-Call list, recording who, when and why (mark and history in one transaction). */
  async markDnc(contactId: string, mark: DncMark): Promise<ContactRecord> {
    const now = nowIso();
    await this.sql.transaction(async () => {
      if ((await this.sql.run(SQL.setDnc, [now, mark.by, mark.reason, now, contactId])).changes === 0) {
        throw notFound('contact', contactId);
      }
      await this.sql.run(SQL.addDncChange, [contactId, 'set', mark.by, mark.reason, now]);
    });
    return this.require(contactId);
  }

  /** Clears the mark; with `mark`, records who cleared it and why (the contact row forgets the old mark). */
  async clearDnc(contactId: string, mark?: DncMark): Promise<ContactRecord> {
    const now = nowIso();
    await this.sql.transaction(async () => {
      if ((await this.sql.run(SQL.clearDnc, [now, contactId])).changes === 0)
        throw notFound('contact', contactId);
      if (mark) await this.sql.run(SQL.addDncChange, [contactId, 'clear', mark.by, mark.reason, now]);
    });
    return this.require(contactId);
  }

  /** The contact's Do-Not-Call changes, newest first. */
  dncChanges(contactId: string, limit = 50): Promise<DncChange[]> {
    return this.sql.all<DncChange>(SQL.dncChanges, [contactId, limit]);
  }

  /** Pages through contacts matching every filter given, oldest first. */
  async search(query: PageQuery = {}, filter: ContactFilter = {}): Promise<Page<ContactRecord>> {
    const { limit, offset } = pageBounds(query);
    const clauses: string[] = [];
    const params: Row = {};
    if (filter.phone !== undefined) {
      clauses.push('c.phone = @phone');
      params.phone = filter.phone;
    }
    if (filter.dnc !== undefined) {
      clauses.push('c.dnc = @dnc');
      params.dnc = filter.dnc ? 1 : 0;
    }
    if (filter.tag !== undefined) {
      clauses.push(
        'EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id AND t.name = @tag)',
      );
      params.tag = filter.tag;
    }
    if (filter.list !== undefined) {
      clauses.push('EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = c.id AND m.list_id = @list)');
      params.list = filter.list;
    }
    if (filter.q !== undefined && filter.q.trim() !== '') this.textClause(filter.q.trim(), clauses, params);
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = await this.sql.all<Row>(
      `SELECT c.* FROM contacts c ${where} ORDER BY c.created_at, c.rowid LIMIT @limit OFFSET @offset`,
      { ...params, limit, offset },
    );
    const count = await this.sql.get<{ n: number }>(`SELECT count(*) AS n FROM contacts c ${where}`, params);
    return { items: rows.map((r) => this.hydrate(r) as ContactRecord), total: count?.n ?? 0, limit, offset };
  }

  /** `q` as a substring (LIKE, case-insensitive for ASCII) of the names or email; its digits, of the phone. */
  private textClause(q: string, clauses: string[], params: Row): void {
    const like = (text: string): string => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    const text = [
      "c.first_name LIKE @q ESCAPE '\\'",
      "c.last_name LIKE @q ESCAPE '\\'",
      "(c.first_name || ' ' || c.last_name) LIKE @q ESCAPE '\\'",
      "c.email LIKE @q ESCAPE '\\'",
    ];
    params.q = like(q);
    const digits = q.replace(/[^0-9]/g, '');
    // Only a query that is a number (digits and the usual separators) searches phones.
    if (digits.length >= 3 && /^[+0-9 ().-]+$/.test(q)) {
      text.push('c.phone LIKE @qDigits');
      params.qDigits = `%${digits}%`;
    }
    clauses.push(`(${text.join(' OR ')})`);
  }
}

import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
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

/**
 * Contacts plus their tags, list memberships and Do-Not-Call mark.
 * Tags are addressed by name and created on first use; lists are addressed by id and must exist.
 * Every method is synchronous so callers can compose them inside one `db.transaction`.
 */
export class ContactRepository extends TableRepository<ContactRecord> {
  private readonly stmts: Record<string, Statement>;
  private readonly searches = new Map<string, { page: Statement; count: Statement }>();

  constructor(db: Db) {
    super(db, 'contacts', 'contact', 'con', [
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
    this.stmts = {
      tagByName: db.prepare('SELECT * FROM tags WHERE name = ?'),
      insertTag: db.prepare('INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?)'),
      listByName: db.prepare('SELECT * FROM lists WHERE name = ?'),
      listById: db.prepare('SELECT * FROM lists WHERE id = ?'),
      insertList: db.prepare('INSERT INTO lists (id, name, description, created_at) VALUES (?, ?, ?, ?)'),
      tagsOf: db.prepare(
        'SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ? ORDER BY t.name',
      ),
      listsOf: db.prepare(
        'SELECT l.id, l.name FROM list_members m JOIN lists l ON l.id = m.list_id WHERE m.contact_id = ? ORDER BY l.name',
      ),
      addTag: db.prepare(
        'INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, created_at) VALUES (?, ?, ?)',
      ),
      removeTag: db.prepare(
        'DELETE FROM contact_tags WHERE contact_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)',
      ),
      clearTags: db.prepare('DELETE FROM contact_tags WHERE contact_id = ?'),
      addList: db.prepare(
        'INSERT OR IGNORE INTO list_members (list_id, contact_id, created_at) VALUES (?, ?, ?)',
      ),
      removeList: db.prepare('DELETE FROM list_members WHERE list_id = ? AND contact_id = ?'),
      clearLists: db.prepare('DELETE FROM list_members WHERE contact_id = ?'),
      setDnc: db.prepare(
        'UPDATE contacts SET dnc = 1, dnc_at = ?, dnc_by = ?, dnc_reason = ?, updated_at = ? WHERE id = ?',
      ),
      clearDnc: db.prepare(
        'UPDATE contacts SET dnc = 0, dnc_at = NULL, dnc_by = NULL, dnc_reason = NULL, updated_at = ? WHERE id = ?',
      ),
      addDncChange: db.prepare(
        'INSERT INTO dnc_changes (contact_id, change, by, reason, at) VALUES (?, ?, ?, ?, ?)',
      ),
      dncChanges: db.prepare(
        'SELECT change, by, reason, at FROM dnc_changes WHERE contact_id = ? ORDER BY id DESC LIMIT ?',
      ),
    };
  }

  findByPhone(phone: string): ContactRecord | undefined {
    return this.findBy('phone', phone);
  }

  tagsOf(contactId: string): string[] {
    return (this.stmt('tagsOf').all(contactId) as Array<{ name: string }>).map((r) => r.name);
  }

  listsOf(contactId: string): ContactListRef[] {
    return this.stmt('listsOf').all(contactId) as ContactListRef[];
  }

  /** The tag with this name, created when it does not exist yet. */
  ensureTag(name: string): NamedRecord {
    const found = this.stmt('tagByName').get(name) as NamedRecord | undefined;
    if (found) return found;
    const tag = { id: newId('tag'), name, created_at: nowIso() };
    this.stmt('insertTag').run(tag.id, tag.name, tag.created_at);
    return tag;
  }

  /** The list with this name, created when it does not exist yet (imports name lists; the API uses ids). */
  ensureList(name: string): ListRecord {
    const found = this.stmt('listByName').get(name) as ListRecord | undefined;
    if (found) return found;
    const list = { id: newId('lst'), name, description: '', created_at: nowIso() };
    this.stmt('insertList').run(list.id, list.name, list.description, list.created_at);
    return list;
  }

  /** Adds a tag by name; returns false when the contact already had it. */
  addTag(contactId: string, name: string): boolean {
    this.require(contactId);
    const tag = this.ensureTag(name);
    return this.stmt('addTag').run(contactId, tag.id, nowIso()).changes > 0;
  }

  /** Removes a tag by name; returns false when the contact did not have it. */
  removeTag(contactId: string, name: string): boolean {
    this.require(contactId);
    return this.stmt('removeTag').run(contactId, name).changes > 0;
  }

  /** Replaces the contact's tags with exactly these names. */
  setTags(contactId: string, names: string[]): void {
    this.stmt('clearTags').run(contactId);
    for (const name of names) this.addTag(contactId, name);
  }

  /** Adds the contact to a list by id; returns false when already a member. */
  addToList(contactId: string, listId: string): boolean {
    this.require(contactId);
    if (!this.stmt('listById').get(listId)) throw notFound('list', listId);
    return this.stmt('addList').run(listId, contactId, nowIso()).changes > 0;
  }

  removeFromList(contactId: string, listId: string): boolean {
    this.require(contactId);
    if (!this.stmt('listById').get(listId)) throw notFound('list', listId);
    return this.stmt('removeList').run(listId, contactId).changes > 0;
  }

  /** Replaces the contact's list memberships with exactly these list ids. */
  setLists(contactId: string, listIds: string[]): void {
    this.stmt('clearLists').run(contactId);
    for (const id of listIds) this.addToList(contactId, id);
  }

  /** Puts the contact on the Do-Not-Call list, recording who, when and why. */
  /** Sets the mark and records the change, in one transaction. */
  markDnc(contactId: string, mark: DncMark): ContactRecord {
    const now = nowIso();
    this.db.transaction(() => {
      if (this.stmt('setDnc').run(now, mark.by, mark.reason, now, contactId).changes === 0) {
        throw notFound('contact', contactId);
      }
      this.stmt('addDncChange').run(contactId, 'set', mark.by, mark.reason, now);
    })();
    return this.require(contactId);
  }

  /** Clears the mark; with `mark`, records who cleared it and why (the contact row forgets the old mark). */
  clearDnc(contactId: string, mark?: DncMark): ContactRecord {
    const now = nowIso();
    this.db.transaction(() => {
      if (this.stmt('clearDnc').run(now, contactId).changes === 0) throw notFound('contact', contactId);
      if (mark) this.stmt('addDncChange').run(contactId, 'clear', mark.by, mark.reason, now);
    })();
    return this.require(contactId);
  }

  /** The contact's Do-Not-Call changes, newest first. */
  dncChanges(contactId: string, limit = 50): DncChange[] {
    return this.stmt('dncChanges').all(contactId, limit) as DncChange[];
  }

  /** Pages through contacts matching every filter given, oldest first. */
  search(query: PageQuery = {}, filter: ContactFilter = {}): Page<ContactRecord> {
    const { limit, offset } = pageBounds(query);
    const clauses: string[] = [];
    const params: Row = { limit, offset };
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
    let s = this.searches.get(where);
    if (!s) {
      s = {
        page: this.db.prepare(
          `SELECT c.* FROM contacts c ${where} ORDER BY c.created_at, c.rowid LIMIT @limit OFFSET @offset`,
        ),
        count: this.db.prepare(`SELECT count(*) AS n FROM contacts c ${where}`),
      };
      this.searches.set(where, s);
    }
    const rows = s.page.all(params) as Row[];
    const countParams = { ...params };
    delete countParams.limit;
    delete countParams.offset;
    const total = (s.count.get(countParams) as { n: number }).n;
    return { items: rows.map((r) => this.hydrate(r) as ContactRecord), total, limit, offset };
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

  private stmt(name: string): Statement {
    const s = this.stmts[name];
    if (!s) throw new Error(`no statement ${name}`);
    return s;
  }
}

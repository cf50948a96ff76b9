import type { Statement } from 'better-sqlite3';
import type { Store, ContactRecord } from '../store/store.js';
import { newId, nowIso } from '../store/ids.js';

/** The `contact.*` template and condition namespace: properties first, built-in fields over them. */
export type ContactView = Record<string, unknown> & { id: string; tags: string[]; lists: string[] };

/** Tags, lists and properties of contacts, as the engine and the local action types use them. */
export class ContactMemory {
  private readonly tagsOf: Statement;
  private readonly listsOf: Statement;
  private readonly insertTag: Statement;
  private readonly tagId: Statement;
  private readonly link: Statement;
  private readonly unlink: Statement;
  private readonly listId: Statement;
  private readonly insertList: Statement;
  private readonly addMember: Statement;

  constructor(private readonly store: Store) {
    const db = store.db;
    this.tagsOf = db.prepare(
      'SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ? ORDER BY t.name',
    );
    this.listsOf = db.prepare(
      'SELECT l.name FROM list_members m JOIN lists l ON l.id = m.list_id WHERE m.contact_id = ? ORDER BY l.name',
    );
    this.insertTag = db.prepare('INSERT OR IGNORE INTO tags (id, name, created_at) VALUES (?, ?, ?)');
    this.tagId = db.prepare('SELECT id FROM tags WHERE name = ?');
    this.link = db.prepare(
      'INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, created_at) VALUES (?, ?, ?)',
    );
    this.unlink = db.prepare(
      'DELETE FROM contact_tags WHERE contact_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)',
    );
    this.listId = db.prepare('SELECT id FROM lists WHERE name = ?');
    this.insertList = db.prepare('INSERT OR IGNORE INTO lists (id, name, created_at) VALUES (?, ?, ?)');
    this.addMember = db.prepare(
      'INSERT OR IGNORE INTO list_members (list_id, contact_id, created_at) VALUES (?, ?, ?)',
    );
  }

  view(contact: ContactRecord): ContactView {
    const tags = (this.tagsOf.all(contact.id) as Array<{ name: string }>).map((r) => r.name);
    const lists = (this.listsOf.all(contact.id) as Array<{ name: string }>).map((r) => r.name);
    const { properties, created_at: _c, updated_at: _u, ...fields } = contact;
    return { ...properties, ...fields, properties, tags, lists } as ContactView;
  }

  viewById(contactId: string | null | undefined): ContactView | undefined {
    if (!contactId) return undefined;
    const c = this.store.contacts.get(contactId);
    return c ? this.view(c) : undefined;
  }

  byPhone(phone: string): ContactRecord | undefined {
    return this.store.contacts.findBy('phone', phone);
  }

  /** The contact with this number, created when missing (DNC must stick even for strangers). */
  ensureByPhone(phone: string): ContactRecord {
    return this.byPhone(phone) ?? this.store.contacts.create({ phone });
  }

  addTags(contactId: string, names: readonly string[]): void {
    this.store.db.transaction(() => {
      const now = nowIso();
      for (const name of names) {
        this.insertTag.run(newId('tag'), name, now);
        const { id } = this.tagId.get(name) as { id: string };
        this.link.run(contactId, id, now);
      }
    })();
  }

  removeTags(contactId: string, names: readonly string[]): number {
    let removed = 0;
    this.store.db.transaction(() => {
      for (const name of names) removed += this.unlink.run(contactId, name).changes;
    })();
    return removed;
  }

  /** Adds to a list by name; returns false when the list does not exist and `create` is off. */
  addToList(contactId: string, list: string, create: boolean): boolean {
    let ok = true;
    this.store.db.transaction(() => {
      if (create) this.insertList.run(newId('lst'), list, nowIso());
      const row = this.listId.get(list) as { id: string } | undefined;
      if (!row) {
        ok = false;
        return;
      }
      this.addMember.run(row.id, contactId, nowIso());
    })();
    return ok;
  }

  setProperty(contact: ContactRecord, property: string, value: unknown): void {
    this.store.contacts.update(contact.id, { properties: { ...contact.properties, [property]: value } });
  }
}

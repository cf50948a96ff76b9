import type { Store, ContactRecord } from '../store/store.js';
import { CallwrightError } from '../errors.js';
import { newId, nowIso } from '../store/ids.js';

/** The `contact.*` template and condition namespace: properties first, built-in fields over them. */
export type ContactView = Record<string, unknown> & { id: string; tags: string[]; lists: string[] };

const TAGS_OF =
  'SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ? ORDER BY t.name';
const LISTS_OF =
  'SELECT l.name FROM list_members m JOIN lists l ON l.id = m.list_id WHERE m.contact_id = ? ORDER BY l.name';
const INSERT_TAG = 'INSERT OR IGNORE INTO tags (id, name, created_at) VALUES (?, ?, ?)';
const TAG_ID = 'SELECT id FROM tags WHERE name = ?';
const LINK_TAG = 'INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, created_at) VALUES (?, ?, ?)';
const UNLINK_TAG =
  'DELETE FROM contact_tags WHERE contact_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)';
const LIST_ID = 'SELECT id FROM lists WHERE name = ?';
const INSERT_LIST = 'INSERT OR IGNORE INTO lists (id, name, created_at) VALUES (?, ?, ?)';
const ADD_MEMBER = 'INSERT OR IGNORE INTO list_members (list_id, contact_id, created_at) VALUES (?, ?, ?)';

/** Tags, lists and properties of contacts, as the engine and the local action types use them. */
export class ContactMemory {
  constructor(private readonly store: Store) {}

  async view(contact: ContactRecord): Promise<ContactView> {
    const tags = (await this.store.sql.all<{ name: string }>(TAGS_OF, [contact.id])).map((r) => r.name);
    const lists = (await this.store.sql.all<{ name: string }>(LISTS_OF, [contact.id])).map((r) => r.name);
    const { properties, created_at: _c, updated_at: _u, ...fields } = contact;
    return { ...properties, ...fields, properties, tags, lists } as ContactView;
  }

  async viewById(contactId: string | null | undefined): Promise<ContactView | undefined> {
    if (!contactId) return undefined;
    const c = await this.store.contacts.get(contactId);
    return c ? this.view(c) : undefined;
  }

  async byPhone(phone: string): Promise<ContactRecord | undefined> {
    return this.store.contacts.findBy('phone', phone);
  }

  /** The contact with this number, created when missing (DNC must stick even for strangers). */
  async ensureByPhone(phone: string): Promise<ContactRecord> {
    const found = await this.byPhone(phone);
    if (found) return found;
    try {
      return await this.store.contacts.create({ phone });
    } catch (err) {
      // Another request (or node) created it since the read above: that contact is the one.
      if (!(err instanceof CallwrightError && err.code === 'CONFLICT')) throw err;
      const created = await this.byPhone(phone);
      if (!created) throw err;
      return created;
    }
  }

  addTags(contactId: string, names: readonly string[]): Promise<void> {
    return this.store.transaction(async () => {
      const now = nowIso();
      for (const name of names) {
        await this.store.sql.run(INSERT_TAG, [newId('tag'), name, now]);
        const { id } = (await this.store.sql.get<{ id: string }>(TAG_ID, [name])) as { id: string };
        await this.store.sql.run(LINK_TAG, [contactId, id, now]);
      }
    });
  }

  removeTags(contactId: string, names: readonly string[]): Promise<number> {
    return this.store.transaction(async () => {
      let removed = 0;
      for (const name of names) removed += (await this.store.sql.run(UNLINK_TAG, [contactId, name])).changes;
      return removed;
    });
  }

  /** Adds to a list by name; returns false when the list does not exist and `create` is off. */
  addToList(contactId: string, list: string, create: boolean): Promise<boolean> {
    return this.store.transaction(async () => {
      if (create) await this.store.sql.run(INSERT_LIST, [newId('lst'), list, nowIso()]);
      const row = await this.store.sql.get<{ id: string }>(LIST_ID, [list]);
      if (!row) return false;
      await this.store.sql.run(ADD_MEMBER, [row.id, contactId, nowIso()]);
      return true;
    });
  }

  /** Sets one property, merged into the properties as stored now (not as `contact` was read). */
  setProperty(contact: ContactRecord, property: string, value: unknown): Promise<void> {
    return this.store.transaction(async () => {
      const current = (await this.store.contacts.get(contact.id)) ?? contact;
      await this.store.contacts.update(contact.id, {
        properties: { ...current.properties, [property]: value },
      });
    });
  }
}

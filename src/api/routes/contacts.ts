import type { FastifyInstance } from 'fastify';
import type { TObject } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { Store, ContactRecord } from '../../store/store.js';
import type { Row } from '../../store/repository.js';
import type { ContactFilter, ContactListRef } from '../../store/repositories/contacts.js';
import type { FieldIssue } from '../../errors.js';
import { crudRoutes, type CrudRepository } from './crud.js';
import { phoneIssues, timeZoneIssues } from './field-checks.js';
import { errorResponses, IdParams, Nullable } from '../schemas/common.js';
import {
  Contact,
  ContactCreate,
  ContactFilters,
  ContactUpdate,
  DncBody,
  DncHistory,
  ListParams,
  TagParams,
} from '../schemas/contacts.js';

export type ContactView = ContactRecord & { tags: string[]; lists: ContactListRef[] };

/** Contacts with their tags and lists; a body's `tags`/`lists` replace the sets in the same transaction. */
export function contactViews(store: Store): CrudRepository<ContactView> {
  const contacts = store.contacts;
  const view = async (c: ContactRecord): Promise<ContactView> => ({
    ...c,
    tags: await contacts.tagsOf(c.id),
    lists: await contacts.listsOf(c.id),
  });
  const memberships = async (id: string, body: Row): Promise<void> => {
    if (Array.isArray(body.tags)) await contacts.setTags(id, body.tags as string[]);
    if (Array.isArray(body.lists)) await contacts.setLists(id, body.lists as string[]);
  };
  const fields = (body: Row): Row => {
    const { tags: _tags, lists: _lists, ...rest } = body;
    return rest;
  };
  return {
    list: async (query, filter) => {
      const page = await contacts.search(query, filter as ContactFilter);
      const items: ContactView[] = [];
      for (const c of page.items) items.push(await view(c));
      return { ...page, items };
    },
    require: async (id) => view(await contacts.require(id)),
    create: (body) =>
      store.transaction(async () => {
        const created = await contacts.create(fields(body));
        await memberships(created.id, body);
        return view(await contacts.require(created.id));
      }),
    update: (id, patch) =>
      store.transaction(async () => {
        await contacts.update(id, fields(patch));
        await memberships(id, patch);
        return view(await contacts.require(id));
      }),
    delete: (id) => contacts.delete(id),
  };
}

async function contactChecks(store: Store, body: Row, defaultCountry: string): Promise<FieldIssue[]> {
  const issues = [...phoneIssues(body, 'phone', defaultCountry), ...timeZoneIssues(body)];
  const lists = (body.lists as string[] | undefined) ?? [];
  for (const [i, id] of lists.entries()) {
    if (!(await store.lists.get(id)))
      issues.push({ field: `body.lists.${i}`, value: id, expected: 'the id of an existing list' });
  }
  const code = body.disposition;
  if (
    typeof code === 'string' &&
    (await store.dispositions.list({ limit: 1 }, { scope: 'contact', code })).total === 0
  ) {
    issues.push({
      field: 'body.disposition',
      value: code,
      expected: 'the code of a contact-scope disposition',
    });
  }
  return issues;
}

export async function contactRoutes(app: FastifyInstance, { store, config }: ApiDeps): Promise<void> {
  const views = contactViews(store);
  crudRoutes(app, {
    path: '/contacts',
    tag: 'contacts',
    entity: 'contact',
    record: Contact,
    create: ContactCreate,
    update: ContactUpdate,
    filters: ContactFilters,
    repo: views,
    check: (body) => contactChecks(store, body, config.contacts.default_country),
    conflictField: 'phone',
  });
  membershipRoutes(app, store, views);
  dncRoutes(app, store, views);
}

const tags = ['contacts'];
const reply200 = { 200: Contact, ...errorResponses };

/** One tag or one list membership at a time; PUT and DELETE are idempotent and answer the contact. */
function membershipRoutes(app: FastifyInstance, store: Store, views: CrudRepository<ContactView>): void {
  type TagP = { id: string; name: string };
  type ListP = { id: string; listId: string };
  const route = <P extends { id: string }>(
    method: 'PUT' | 'DELETE',
    url: string,
    summary: string,
    params: TObject,
    change: (p: P) => Promise<unknown>,
  ): void => {
    app.route({
      method,
      url,
      schema: { tags, summary, params, response: reply200 },
      handler: async (req) => {
        const p = req.params as P;
        await change(p);
        return views.require(p.id);
      },
    });
  };
  const { contacts } = store;
  route<TagP>(
    'PUT',
    '/contacts/:id/tags/:name',
    'Tag a contact (the tag is created on first use)',
    TagParams,
    (p) => store.transaction(async () => contacts.addTag(p.id, p.name)),
  );
  route<TagP>('DELETE', '/contacts/:id/tags/:name', 'Remove a tag from a contact', TagParams, async (p) =>
    contacts.removeTag(p.id, p.name),
  );
  route<ListP>('PUT', '/contacts/:id/lists/:listId', 'Add a contact to a list', ListParams, async (p) =>
    contacts.addToList(p.id, p.listId),
  );
  route<ListP>(
    'DELETE',
    '/contacts/:id/lists/:listId',
    'Remove a contact from a list',
    ListParams,
    async (p) => contacts.removeFromList(p.id, p.listId),
  );
}

/** The Do-Not-Call mark: set with who (default: the API key) and why; the time is stamped by the store. */
function dncRoutes(app: FastifyInstance, store: Store, views: CrudRepository<ContactView>): void {
  app.put<{ Params: { id: string }; Body: { reason: string; by?: string } }>(
    '/contacts/:id/dnc',
    {
      schema: {
        tags,
        summary: 'Put a contact on the Do-Not-Call list, recording who, when and why',
        params: IdParams,
        body: DncBody,
        response: reply200,
      },
    },
    async (req) => {
      const by = req.body.by ?? `api-key:${req.apiKeyId ?? 'unknown'}`;
      await store.contacts.markDnc(req.params.id, { by, reason: req.body.reason });
      return views.require(req.params.id);
    },
  );
  app.delete<{ Params: { id: string }; Body: { reason: string; by?: string } | null }>(
    '/contacts/:id/dnc',
    {
      schema: {
        tags,
        summary: 'Take a contact off the Do-Not-Call list, recording who and why (body optional)',
        params: IdParams,
        body: Nullable(DncBody),
        response: reply200,
      },
    },
    async (req) => {
      const by = req.body?.by ?? `api-key:${req.apiKeyId ?? 'unknown'}`;
      await store.contacts.clearDnc(req.params.id, { by, reason: req.body?.reason ?? '' });
      return views.require(req.params.id);
    },
  );
  app.get<{ Params: { id: string } }>(
    '/contacts/:id/dnc-history',
    {
      schema: {
        tags,
        summary: "Who set or cleared the contact's Do-Not-Call mark, when and why; newest first",
        params: IdParams,
        response: { 200: DncHistory, ...errorResponses },
      },
    },
    async (req) => {
      await store.contacts.require(req.params.id);
      return { items: await store.contacts.dncChanges(req.params.id) };
    },
  );
}

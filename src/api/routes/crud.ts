import type { FastifyInstance } from 'fastify';
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { CallwrightError, describeIssues, type FieldIssue } from '../../errors.js';
import type { Page, PageQuery, Row } from '../../store/repository.js';
import { errorResponses, IdParams, listQuery, pageOf } from '../schemas/common.js';

/** What the CRUD routes need from storage; `TableRepository` fits as is, other resources adapt. */
export interface CrudRepository<R> {
  list(query: PageQuery, filter: Row): Promise<Page<R>>;
  require(id: string): Promise<R>;
  create(body: Row): Promise<R>;
  update(id: string, patch: Row): Promise<R>;
  delete(id: string): Promise<void>;
}

export type Operation = 'list' | 'get' | 'create' | 'update' | 'delete';

export interface CrudResource<R> {
  /** Collection path, e.g. `/agents`. */
  path: string;
  /** OpenAPI tag grouping the routes. */
  tag: string;
  /** Singular name for summaries and messages (`ring group`). */
  entity: string;
  record: TSchema;
  create?: TSchema;
  update?: TSchema;
  /** Query-string filters of the list route beyond paging; passed to `repo.list` as equality filters. */
  filters?: TProperties;
  repo: CrudRepository<R>;
  /** Rules a schema cannot express (references exist, time zones are known); `id` is set on update. */
  check?: (body: Row, id?: string) => FieldIssue[] | Promise<FieldIssue[]>;
  /** The body field to name when a unique constraint fails (default: the column SQLite names). */
  conflictField?: string;
  operations?: Operation[];
}

/** A 400 naming each field, with the first issue as the message. */
export function invalid(issues: FieldIssue[]): CallwrightError {
  return new CallwrightError('VALIDATION', describeIssues(issues.slice(0, 1)), issues);
}

/** Rewrites a unique-constraint failure so it names the body field and the value that clashed. */
function namingBodyField(err: unknown, body: Row, conflictField?: string): unknown {
  if (!(err instanceof CallwrightError) || err.code !== 'CONFLICT') return err;
  const field = conflictField ?? err.issues[0]?.field ?? 'id';
  const issue: FieldIssue = { field: `body.${field}`, expected: err.issues[0]?.expected ?? 'a unique value' };
  if (body[field] !== undefined) issue.value = body[field];
  return new CallwrightError('CONFLICT', err.message.replace(/this \w+/, `this ${field}`), [issue]);
}

async function checked<R>(res: CrudResource<R>, body: Row, id?: string): Promise<void> {
  const issues = (await res.check?.(body, id)) ?? [];
  if (issues.length > 0) throw invalid(issues);
}

function listRoute<R>(app: FastifyInstance, res: CrudResource<R>): void {
  const schema = {
    tags: [res.tag],
    summary: `List ${res.tag}, a page at a time`,
    querystring: listQuery(res.filters),
    response: { 200: pageOf(res.record), ...errorResponses },
  };
  app.get(res.path, { schema }, async (req) => {
    const { limit, offset, ...filter } = req.query as Row & PageQuery;
    return res.repo.list({ limit, offset }, filter);
  });
}

function getRoute<R>(app: FastifyInstance, res: CrudResource<R>): void {
  const schema = {
    tags: [res.tag],
    summary: `Get one ${res.entity}`,
    params: IdParams,
    response: { 200: res.record, ...errorResponses },
  };
  app.get(`${res.path}/:id`, { schema }, async (req) => res.repo.require((req.params as { id: string }).id));
}

function createRoute<R>(app: FastifyInstance, res: CrudResource<R>, body: TSchema): void {
  const schema = {
    tags: [res.tag],
    summary: `Create a ${res.entity}`,
    body,
    response: { 201: res.record, ...errorResponses },
  };
  app.post(res.path, { schema }, async (req, reply) => {
    const input = req.body as Row;
    await checked(res, input);
    try {
      const created = await res.repo.create(input);
      return await reply.code(201).send(created);
    } catch (err) {
      throw namingBodyField(err, input, res.conflictField);
    }
  });
}

function updateRoute<R>(app: FastifyInstance, res: CrudResource<R>, body: TSchema): void {
  const schema = {
    tags: [res.tag],
    summary: `Update a ${res.entity}: only the fields given change`,
    params: IdParams,
    body,
    response: { 200: res.record, ...errorResponses },
  };
  app.patch(`${res.path}/:id`, { schema }, async (req) => {
    const { id } = req.params as { id: string };
    const patch = req.body as Row;
    await res.repo.require(id);
    await checked(res, patch, id);
    try {
      return await res.repo.update(id, patch);
    } catch (err) {
      throw namingBodyField(err, patch, res.conflictField);
    }
  });
}

function deleteRoute<R>(app: FastifyInstance, res: CrudResource<R>): void {
  const schema = {
    tags: [res.tag],
    summary: `Delete a ${res.entity}`,
    params: IdParams,
    response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses },
  };
  app.delete(`${res.path}/:id`, { schema }, async (req, reply) => {
    await res.repo.delete((req.params as { id: string }).id);
    return reply.code(204).send();
  });
}

/**
 * Registers list (paged), get, create, update (PATCH, only the fields given) and delete routes for one
 * resource, each with its schemas, tag and summary so the OpenAPI description lists it.
 */
export function crudRoutes<R>(app: FastifyInstance, res: CrudResource<R>): void {
  const ops = new Set<Operation>(res.operations ?? ['list', 'get', 'create', 'update', 'delete']);
  if (ops.has('list')) listRoute(app, res);
  if (ops.has('get')) getRoute(app, res);
  if (ops.has('create') && res.create) createRoute(app, res, res.create);
  if (ops.has('update') && res.update) updateRoute(app, res, res.update);
  if (ops.has('delete')) deleteRoute(app, res);
}

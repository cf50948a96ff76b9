import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { crudRoutes } from './crud.js';
import type { Row } from '../../store/repository.js';
import { CallwrightError, type FieldIssue } from '../../errors.js';
import { validateAgentConfig } from '../../agent/create-agent.js';
import { agentSpeechIssues, type AgentSpeechSettings } from '../../speech/agent-speech.js';
import {
  lineTargetIssues,
  referenceIssues,
  timeZoneIssues,
  transferTargetIssues,
  workingHoursIssues,
} from './field-checks.js';
import { Agent, AgentCreate, AgentUpdate } from '../schemas/agents.js';
import { amdOverrideIssues } from '../../calls/amd/amd-call-settings.js';
import {
  Disposition,
  DispositionCreate,
  DispositionScope,
  DispositionUpdate,
  List,
  ListCreate,
  ListUpdate,
  Tag,
  TagCreate,
  TagUpdate,
} from '../schemas/catalog.js';
import {
  Line,
  LineCreate,
  LineUpdate,
  NumberCreate,
  NumberUpdate,
  PhoneNumber,
  User,
  UserCreate,
  UserUpdate,
} from '../schemas/directory.js';
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../schemas/common.js';

/** Resources whose routes are plain CRUD over one table, each with its own schemas and checks. */
export async function plainResourceRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  crudRoutes(app, {
    path: '/agents',
    tag: 'agents',
    entity: 'agent',
    record: Agent,
    create: AgentCreate,
    update: AgentUpdate,
    filters: { kind: Type.Optional(StringEnum(['scripted', 'webhook', 'llm', 'realtime'])) },
    repo: store.agents,
    check: async (body, id) => [
      ...(await transferTargetIssues(store, body)),
      ...(await agentConfigIssues(store, body, id)),
      ...amdOverrideIssues(body.amd as Record<string, unknown> | undefined, 'amd'),
    ],
  });
  crudRoutes(app, {
    path: '/lists',
    tag: 'lists',
    entity: 'list',
    record: List,
    create: ListCreate,
    update: ListUpdate,
    repo: store.lists,
  });
  crudRoutes(app, {
    path: '/tags',
    tag: 'tags',
    entity: 'tag',
    record: Tag,
    create: TagCreate,
    update: TagUpdate,
    repo: store.tags,
  });
  crudRoutes(app, {
    path: '/dispositions',
    tag: 'dispositions',
    entity: 'disposition',
    record: Disposition,
    create: DispositionCreate,
    update: DispositionUpdate,
    filters: { scope: Type.Optional(DispositionScope) },
    repo: store.dispositions,
    conflictField: 'code',
  });
  crudRoutes(app, {
    path: '/users',
    tag: 'users',
    entity: 'user',
    record: User,
    create: UserCreate,
    update: UserUpdate,
    repo: store.users,
    check: (body) => [...timeZoneIssues(body), ...workingHoursIssues(body)],
  });
  crudRoutes(app, {
    path: '/lines',
    tag: 'lines',
    entity: 'line',
    record: Line,
    create: LineCreate,
    update: LineUpdate,
    repo: store.lines,
    check: lineTargetIssues,
  });
  crudRoutes(app, {
    path: '/numbers',
    tag: 'numbers',
    entity: 'number',
    record: PhoneNumber,
    create: NumberCreate,
    update: NumberUpdate,
    filters: { agent_id: Type.Optional(Type.String({ minLength: 1 })) },
    repo: store.numbers,
    check: (body) =>
      referenceIssues(body, 'agent_id', 'agent', async (id) => Boolean(await store.agents.get(id))),
  });
}

/** A scripted or webhook agent's config is checked like `agents import` does, naming the field. */
async function agentConfigIssues(store: ApiDeps['store'], body: Row, id?: string): Promise<FieldIssue[]> {
  const speech = agentSpeechIssues(body.speech as AgentSpeechSettings | undefined, 'body.speech');
  if (body.config === undefined) return speech;
  const kind =
    typeof body.kind === 'string' ? body.kind : id ? (await store.agents.get(id))?.kind : undefined;
  if (!kind) return [];
  try {
    validateAgentConfig(kind, body.config, 'body.config');
    return speech;
  } catch (err) {
    if (err instanceof CallwrightError) return [...err.issues, ...speech];
    throw err;
  }
}

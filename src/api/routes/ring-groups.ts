import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import type { RingGroupRecord, Store } from '../../store/store.js';
import type { Row } from '../../store/repository.js';
import type { RingGroupMember } from '../../store/repositories/ring-group-members.js';
import type { FieldIssue } from '../../errors.js';
import { crudRoutes, type CrudRepository } from './crud.js';
import { RingGroup, RingGroupCreate, RingGroupUpdate } from '../schemas/directory.js';

type RingGroupView = RingGroupRecord & { members: RingGroupMember[] };
type MemberInput = { user_id: string; timeout_secs?: number };

/** Ring groups with their ordered members; a body's `members` replaces them in the same transaction. */
function ringGroupViews(store: Store): CrudRepository<RingGroupView> {
  const view = (g: RingGroupRecord): RingGroupView => ({ ...g, members: store.ringGroupMembers.list(g.id) });
  const split = (body: Row): { fields: Row; members?: MemberInput[] } => {
    const { members, ...fields } = body;
    return { fields, members: members as MemberInput[] | undefined };
  };
  return {
    list: (query, filter) => {
      const page = store.ringGroups.list(query, filter);
      return { ...page, items: page.items.map(view) };
    },
    require: (id) => view(store.ringGroups.require(id)),
    create: (body) =>
      store.db.transaction(() => {
        const { fields, members } = split(body);
        const group = store.ringGroups.create(fields);
        store.ringGroupMembers.replace(group.id, members ?? []);
        return view(group);
      })(),
    update: (id, patch) =>
      store.db.transaction(() => {
        const { fields, members } = split(patch);
        const group = store.ringGroups.update(id, fields);
        if (members) store.ringGroupMembers.replace(id, members);
        return view(group);
      })(),
    delete: (id) => store.ringGroups.delete(id),
  };
}

/** Members must be existing users, each at most once. */
function memberIssues(store: Store, body: Row): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  ((body.members as MemberInput[] | undefined) ?? []).forEach((m, i) => {
    const field = `body.members.${i}.user_id`;
    if (seen.has(m.user_id))
      issues.push({ field, value: m.user_id, expected: 'a user not already in the group' });
    else if (!store.users.get(m.user_id))
      issues.push({ field, value: m.user_id, expected: 'the id of an existing user' });
    seen.add(m.user_id);
  });
  return issues;
}

export async function ringGroupRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  crudRoutes(app, {
    path: '/ring-groups',
    tag: 'ring-groups',
    entity: 'ring group',
    record: RingGroup,
    create: RingGroupCreate,
    update: RingGroupUpdate,
    repo: ringGroupViews(store),
    check: (body) => memberIssues(store, body),
  });
}

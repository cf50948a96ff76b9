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
  const view = async (g: RingGroupRecord): Promise<RingGroupView> => ({
    ...g,
    members: await store.ringGroupMembers.list(g.id),
  });
  const split = (body: Row): { fields: Row; members?: MemberInput[] } => {
    const { members, ...fields } = body;
    return { fields, members: members as MemberInput[] | undefined };
  };
  return {
    list: async (query, filter) => {
      const page = await store.ringGroups.list(query, filter);
      const items: RingGroupView[] = [];
      for (const g of page.items) items.push(await view(g));
      return { ...page, items };
    },
    require: async (id) => view(await store.ringGroups.require(id)),
    create: (body) =>
      store.transaction(async () => {
        const { fields, members } = split(body);
        const group = await store.ringGroups.create(fields);
        await store.ringGroupMembers.replace(group.id, members ?? []);
        return view(group);
      }),
    update: (id, patch) =>
      store.transaction(async () => {
        const { fields, members } = split(patch);
        const group = await store.ringGroups.update(id, fields);
        if (members) await store.ringGroupMembers.replace(id, members);
        return view(group);
      }),
    delete: (id) => store.ringGroups.delete(id),
  };
}

/** Members must be existing users, each at most once. */
async function memberIssues(store: Store, body: Row): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  const members = (body.members as MemberInput[] | undefined) ?? [];
  for (const [i, m] of members.entries()) {
    const field = `body.members.${i}.user_id`;
    if (seen.has(m.user_id))
      issues.push({ field, value: m.user_id, expected: 'a user not already in the group' });
    else if (!(await store.users.get(m.user_id)))
      issues.push({ field, value: m.user_id, expected: 'the id of an existing user' });
    seen.add(m.user_id);
  }
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

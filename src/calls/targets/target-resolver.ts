import { CallwrightError } from '../../errors.js';
import type { Store, UserRecord } from '../../store/store.js';
import { classifyTarget } from '../../telephony/port.js';
import { hasSipScheme } from '../../util/sip-uri-rule.js';

/** One place to dial: an E.164 number (through a trunk) or a SIP URI, with its ring timeout. */
export interface DialMember {
  /** Names the member in outcomes and errors: `user alice`, `+14155550100`. */
  label: string;
  /** What `Telephony.dial` receives. */
  dial: string;
  timeoutMs?: number;
}

/** A resolved transfer target: one member, or a ring group's members with its strategy. */
export type ResolvedTarget =
  | { kind: 'single'; label: string; member: DialMember }
  | {
      kind: 'group';
      label: string;
      strategy: 'simultaneous' | 'sequential';
      members: DialMember[];
    };

/** The named-target form stored on agents (`agents.targets`), as the admin API validates it. */
export interface NamedTarget {
  type: 'user' | 'ring_group' | 'line' | 'number' | 'sip';
  id?: string;
  number?: string;
  uri?: string;
}

export const TARGET_FORMS =
  'an E.164 number (+14155550100), a SIP URI (sip:desk@pbx.example.com), user:<id or name>, ' +
  "line:<id or name>, ring_group:<id or name>, or the name of one of the agent's targets (sales, support)";

function unresolvable(ref: string, why: string, field = 'target'): CallwrightError {
  return new CallwrightError('VALIDATION', `target ${JSON.stringify(ref)}: ${why}`, [
    { field, value: ref, expected: TARGET_FORMS },
  ]);
}

/**
 * Resolves a target reference (already rendered, so dynamic targets from variables arrive here as text)
 * into what to dial. Errors name the reference and say why it could not be resolved.
 */
export async function resolveTarget(
  store: Store,
  ref: string,
  options: { agentId?: string; field?: string } = {},
): Promise<ResolvedTarget> {
  const text = ref.trim();
  const field = options.field ?? 'target';
  if (!text) throw unresolvable(ref, 'is empty (did a template render to nothing?)', field);
  if (text.startsWith('+') || hasSipScheme(text)) return single(text, text, field);
  const colon = /^(user|line|ring_group|group|target):(.+)$/i.exec(text);
  if (colon) {
    const kind = (colon[1] as string).toLowerCase();
    const key = (colon[2] as string).trim();
    if (kind === 'target') return namedTarget(store, key, options.agentId, field);
    if (kind === 'user') return userTarget(store, key, text, field);
    if (kind === 'line') return lineTarget(store, key, text, field);
    return ringGroupTarget(store, key, text, field);
  }
  if (/^[A-Za-z0-9_-]{1,64}$/.test(text)) return namedTarget(store, text, options.agentId, field);
  throw unresolvable(ref, 'is not a recognised target form', field);
}

function single(label: string, dial: string, field: string): ResolvedTarget {
  try {
    const t = classifyTarget(dial);
    return { kind: 'single', label, member: { label, dial: t.kind === 'e164' ? t.number : t.uri } };
  } catch {
    throw unresolvable(dial, 'is neither a valid E.164 number nor a SIP URI', field);
  }
}

function userDial(user: UserRecord): string | undefined {
  return user.sip_uri || user.phone || undefined;
}

async function userTarget(store: Store, key: string, ref: string, field: string): Promise<ResolvedTarget> {
  const user = await store.users.byIdOrName(key);
  if (!user) throw unresolvable(ref, `no user with id or name ${JSON.stringify(key)}`, field);
  const dial = userDial(user);
  if (!dial) throw unresolvable(ref, `user ${user.name} has neither a sip_uri nor a phone number`, field);
  return single(`user ${user.name}`, dial, field);
}

async function lineTarget(store: Store, key: string, ref: string, field: string): Promise<ResolvedTarget> {
  const line = await store.lines.byIdOrName(key);
  if (!line) throw unresolvable(ref, `no line with id or name ${JSON.stringify(key)}`, field);
  return single(`line ${line.name}`, line.target, field);
}

async function ringGroupTarget(
  store: Store,
  key: string,
  ref: string,
  field: string,
): Promise<ResolvedTarget> {
  const group = await store.ringGroups.byIdOrName(key);
  if (!group) throw unresolvable(ref, `no ring group with id or name ${JSON.stringify(key)}`, field);
  const members: DialMember[] = [];
  for (const m of await store.ringGroupMembers.list(group.id)) {
    const user = await store.users.get(m.user_id);
    const dial = user ? userDial(user) : undefined;
    // A member without a reachable address is skipped rather than failing the whole group.
    if (!user || !dial) continue;
    const checked = single(`user ${user.name}`, dial, field);
    if (checked.kind !== 'single') continue;
    members.push({ ...checked.member, timeoutMs: (m.timeout_secs ?? group.member_timeout_secs) * 1000 });
  }
  if (!members.length)
    throw unresolvable(ref, `ring group ${group.name} has no member with a sip_uri or phone`, field);
  return { kind: 'group', label: `ring group ${group.name}`, strategy: group.strategy, members };
}

async function namedTarget(
  store: Store,
  name: string,
  agentId: string | undefined,
  field: string,
): Promise<ResolvedTarget> {
  const agent = agentId ? await store.agents.get(agentId) : undefined;
  const named = agent?.targets?.[name] as NamedTarget | undefined;
  if (!named) {
    const known = agent ? Object.keys(agent.targets ?? {}).join(', ') || 'none' : 'no agent on this call';
    throw unresolvable(name, `no named target ${JSON.stringify(name)} on the agent (known: ${known})`, field);
  }
  const ref = `target:${name}`;
  switch (named.type) {
    case 'number':
      return relabel(single(named.number ?? '', named.number ?? '', field), name);
    case 'sip':
      return relabel(single(named.uri ?? '', named.uri ?? '', field), name);
    case 'user':
      return relabel(await userTarget(store, named.id ?? '', ref, field), name);
    case 'line':
      return relabel(await lineTarget(store, named.id ?? '', ref, field), name);
    case 'ring_group':
      return relabel(await ringGroupTarget(store, named.id ?? '', ref, field), name);
    default:
      throw unresolvable(
        ref,
        `named target has unknown type ${JSON.stringify((named as { type: unknown }).type)}`,
        field,
      );
  }
}

/** Named targets keep the name the agent used first: `sales (ring group support-desk)`. */
function relabel(target: ResolvedTarget, name: string): ResolvedTarget {
  return { ...target, label: target.label === name ? name : `${name} (${target.label})` };
}

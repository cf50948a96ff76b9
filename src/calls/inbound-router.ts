import type { AgentRecord, Store } from '../store/store.js';
import type { CallInfo } from '../telephony/port.js';
import type { CallsSettings } from './calls-config.js';
import type { PhoneTokens } from './phone-token.js';

export const DEMO_AGENT_NAME = 'demo';

export type RouteResult =
  | {
      ok: true;
      agent: AgentRecord;
      via: 'number' | 'default' | 'phone';
      dialled: string;
      /** The number's recording option (`agent` = the agent's setting decides). */
      record: 'agent' | 'always' | 'never';
    }
  | { ok: false; status: 403 | 404 | 480; reason: string; dialled: string };

/** The dialled user: the Request-URI user (RFC 3261 §8.2.2.1 routes on it), else the To user. */
export function dialledUser(info: CallInfo): string {
  const m = /^sips?:([^@;>]+)@/i.exec(info.requestUri);
  const user = m?.[1] ? decodeURIComponent(m[1]) : '';
  return user || info.to.user;
}

/**
 * Request-URI user (a DID or extension) → agent: the numbers table first (exact, then with or without
 * a leading '+'), else `calls.default_agent`, else the demo agent when enabled. Nothing found → 404;
 * a default agent that was configured but no longer exists → 480 (temporarily unavailable).
 */
export async function routeInbound(
  store: Store,
  settings: CallsSettings,
  info: CallInfo,
): Promise<RouteResult> {
  const dialled = dialledUser(info);
  const candidates = dialled.startsWith('+') ? [dialled, dialled.slice(1)] : [dialled, `+${dialled}`];
  for (const number of dialled ? candidates : []) {
    const row = await store.numbers.findBy('number', number);
    const agent = row ? await store.agents.get(row.agent_id) : undefined;
    if (agent) return { ok: true, agent, via: 'number', dialled, record: row?.record ?? 'agent' };
  }
  const fallback = settings.default_agent || (settings.demo_agent ? DEMO_AGENT_NAME : '');
  if (!fallback) return { ok: false, status: 404, reason: 'no agent for the dialled number', dialled };
  const agent = await store.agents.byIdOrName(fallback);
  if (!agent)
    return {
      ok: false,
      status: 480,
      reason: `default agent ${JSON.stringify(fallback)} does not exist`,
      dialled,
    };
  return { ok: true, agent, via: 'default', dialled, record: 'agent' };
}

/**
 * A browser phone's call (docs/dashboard.md, "Browser phone"): one that came over a WebSocket or carries
 * a phone token. Its token names the agent; without a valid one the call is refused 403 with the token's
 * problem as the reason phrase. Undefined: not a phone call, route it by number.
 */
export async function routePhoneCall(
  store: Store,
  tokens: PhoneTokens | undefined,
  info: CallInfo,
): Promise<RouteResult | undefined> {
  const token = info.headers['x-callwright-phone-token'];
  const browser = info.transport === 'ws' || info.transport === 'wss';
  if (token === undefined && !browser) return undefined;
  const dialled = dialledUser(info);
  if (token === undefined || !tokens)
    return { ok: false, status: 403, reason: 'Phone Token Required', dialled };
  const check = tokens.verify(token);
  if (!check.ok) return { ok: false, status: 403, reason: check.reason, dialled };
  const agent = await store.agents.get(check.agentId);
  if (!agent) return { ok: false, status: 404, reason: 'Agent Not Found', dialled };
  return { ok: true, agent, via: 'phone', dialled, record: 'agent' };
}

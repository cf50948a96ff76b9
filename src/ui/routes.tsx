import type { ComponentChildren } from 'preact';
import { CallsPage } from './pages/calls.js';
import { CallPage } from './pages/call.js';
import { AgentPhonePage } from './pages/agent-phone.js';
import { OverviewPage } from './pages/overview.js';
import { AgentsPage } from './pages/agents.js';
import { AgentPage } from './pages/agent.js';
import { ActionsPage } from './pages/actions.js';
import { ActionPage } from './pages/action.js';
import { OutboxPage } from './pages/outbox.js';
import { ContactsPage } from './pages/contacts.js';

/** One dashboard page: its path pattern (`/calls/:id`), how it renders, and its menu entry if any. */
export interface Route {
  path: string;
  render: (params: Record<string, string>, query: URLSearchParams) => ComponentChildren;
  /** The main menu's label; pages without one (a call's page) are reached by links. */
  nav?: string;
}

/** Every page, in menu order; the first one with a menu entry is the landing page. */
export const routes: Route[] = [
  { path: '/calls', nav: 'Calls', render: (_, query) => <CallsPage query={query} /> },
  { path: '/calls/:id', render: ({ id }) => <CallPage key={id} id={id ?? ''} /> },
  { path: '/overview', nav: 'Overview', render: () => <OverviewPage /> },
  { path: '/agents', nav: 'Agents', render: () => <AgentsPage /> },
  { path: '/agents/:id', render: (p) => <AgentPage key={p.id} id={p.id ?? ''} /> },
  { path: '/agents/:id/phone', render: ({ id }) => <AgentPhonePage agentId={id ?? ''} /> },
  { path: '/actions', nav: 'Actions', render: () => <ActionsPage /> },
  { path: '/actions/new', render: () => <ActionPage /> },
  { path: '/actions/:id', render: (p) => <ActionPage key={p.id} id={p.id} /> },
  { path: '/outbox', nav: 'Outbox', render: (_p, q) => <OutboxPage query={q} /> },
  { path: '/contacts', nav: 'Contacts', render: () => <ContactsPage /> },
];

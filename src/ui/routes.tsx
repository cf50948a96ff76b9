import type { ComponentChildren } from 'preact';
import { CallsPage } from './pages/calls.js';
import { CallPage } from './pages/call.js';
import { AgentPhonePage } from './pages/agent-phone.js';

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
  { path: '/agents/:id/phone', render: ({ id }) => <AgentPhonePage agentId={id ?? ''} /> },
];

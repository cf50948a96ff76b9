import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized } from './api.js';
import { currentSession, signOut, type SessionInfo } from './session.js';
import { linkHandler, matchRoute, navigate, useLocation } from './router.js';
import { routes } from './routes.js';
import { SignInPage } from './pages/sign-in.js';
import { agentPhoneRoute } from './pages/agent-phone.js';

/** The route table plus the browser phone's page (reached by links, not in the menu). */
const pages = [...routes, agentPhoneRoute];

export function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  useEffect(() => {
    whenUnauthorized(() => setSession(null));
    void currentSession().then((s) => setSession(s ?? null));
  }, []);
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <SignInPage onSignedIn={setSession} />;
  return <Shell onSignOut={() => void signOut().then(() => setSession(null))} />;
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { path, query } = useLocation();
  const landing = routes.find((r) => r.nav);
  useEffect(() => {
    if (path === '/' && landing) navigate(landing.path, true);
  }, [path, landing]);
  const match = pages
    .map((r) => ({ r, params: matchRoute(r.path, path) }))
    .find((m) => m.params !== undefined);
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <div class="shell">
      <header>
        <a class="brand" {...linkHandler(landing?.path ?? '/')}>
          Callwright
        </a>
        <nav aria-label="Main">
          <ul>
            {routes
              .filter((r) => r.nav)
              .map((r) => (
                <li key={r.path}>
                  <a {...linkHandler(r.path)} aria-current={r.path === section ? 'page' : undefined}>
                    {r.nav}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <button type="button" class="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>{match ? match.r.render(match.params ?? {}, query) : <NotFound path={path} />}</main>
    </div>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No dashboard page at <code>{path}</code>. The API's own description is at <a href="/docs">/docs</a>.
      </p>
    </section>
  );
}

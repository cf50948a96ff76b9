import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized } from './api.js';
import { currentSession, signOut, type SessionInfo } from './session.js';
import { linkHandler, matchRoute, navigate, useLocation } from './router.js';
import { routes } from './routes.js';
import { SignInPage } from './pages/sign-in.js';

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
  const match = routes
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
      {/* `/` shows nothing for the moment it takes the effect above to go to the landing page. */}
      <main>
        {path === '/' ? null : match ? (
          match.r.render(match.params ?? {}, query)
        ) : (
          <NotFound path={path} home={landing?.path ?? '/'} label={landing?.nav ?? 'the dashboard'} />
        )}
      </main>
    </div>
  );
}

/** Any path the route table does not know: said plainly, with the way back to the landing page. */
function NotFound({ path, home, label }: { path: string; home: string; label: string }) {
  return (
    <section class="panel not-found">
      <h1>Not found</h1>
      <p>
        No dashboard page at <code>{path}</code>.
      </p>
      <p>
        <a class="button primary" {...linkHandler(home)}>
          Go to {label}
        </a>{' '}
        <a class="button" href="/docs">
          The API's description
        </a>
      </p>
    </section>
  );
}

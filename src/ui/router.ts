import { useEffect, useState } from 'preact/hooks';

/** The dashboard lives under this prefix; routes are written without it (`/calls/:id`). */
export const BASE = '/ui';

/** The route part of the location, with its query: `/calls?agent=x`. */
function currentPath(): string {
  const p = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '/';
  return (p || '/') + window.location.search;
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Moves to a dashboard route (`/calls/cal_1`) without reloading; `replace` keeps history short. */
export function navigate(to: string, replace = false): void {
  const url = BASE + (to.startsWith('/') ? to : `/${to}`);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

/** Re-renders on navigation; returns the route path and its query. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [loc, setLoc] = useState(currentPath);
  useEffect(() => {
    const l = (): void => setLoc(currentPath());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  const [path, search = ''] = loc.split('?');
  return { path: path ?? '/', query: new URLSearchParams(search) };
}

/** Matches `/calls/:id` against `/calls/cal_1` → `{ id: 'cal_1' }`, or undefined. */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as string;
    const v = b[i] as string;
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(v);
    else if (p !== v) return undefined;
  }
  return params;
}

/** An in-app link: a real `<a href>` (keyboard, new tab) that navigates without a reload. */
export function linkHandler(to: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href: BASE + to,
    onClick: (e: MouseEvent) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(to);
    },
  };
}

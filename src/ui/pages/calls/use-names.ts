import { useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../../api.js';
import type { Named } from '../../calls-api.js';

/** Id → name of a small list resource (`/agents`, `/actions`), for labels and filter choices. */
export function useNames(path: string): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    void api<Page<Named>>('GET', `${path}?limit=500`)
      .then((page) => setNames(new Map(page.items.map((i) => [i.id, i.name]))))
      // Names are a nicety: without them the ids are shown.
      .catch(() => undefined);
  }, [path]);
  return names;
}

/** The current time, updated every `ms` (running durations). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

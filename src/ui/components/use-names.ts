import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Page } from '../api.js';
import type { Named } from '../calls-api.js';
import { useApi } from './use-api.js';

/**
 * Id → name of a small list resource (`/agents`, `/actions`), for labels and filter choices. Names
 * are a nicety: while they load, or if they cannot, the ids are shown.
 */
export function useNames(path: string): Map<string, string> {
  const { data } = useApi<Page<Named>>(`${path}?limit=500`);
  return useMemo(() => new Map((data?.items ?? []).map((i) => [i.id, i.name])), [data]);
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

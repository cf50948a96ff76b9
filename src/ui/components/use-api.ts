import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again (after a change the page made). */
  reload: () => void;
  /** Replaces the data with what a change returned, without another request. */
  set: (data: T) => void;
}

/**
 * GETs `path` (again whenever it or `refresh` changes: a live stream's notice that the list moved) and
 * keeps the answer or the API's error.
 */
export function useApi<T>(path: string | undefined, refresh?: unknown): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setLoading(true);
    api<T>('GET', path)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      })
      .catch((err: unknown) => live && setError(asApiError(err)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, tick, refresh]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, set: setData };
}

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'INTERNAL', String(err));
}

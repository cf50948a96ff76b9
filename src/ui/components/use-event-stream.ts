import { useEffect, useState } from 'preact/hooks';

/**
 * How a live stream stands: opening, open, reconnecting after a drop (EventSource retries by itself),
 * or closed for good (the server refused it: an unknown call, a lost session).
 */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

/**
 * Follows a Server-Sent Events endpoint of the API (EventSource sends the session cookie) and calls
 * `handlers[event]` with each event's parsed data. On a reconnect the server sends its snapshot again,
 * so handlers treat `snapshot` as a fresh start. `path` undefined: no stream.
 */
export function useEventStream(
  path: string | undefined,
  handlers: Record<string, (data: never) => void>,
): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>('connecting');
  useEffect(() => {
    if (!path) return;
    const source = new EventSource(path, { withCredentials: true });
    setStatus('connecting');
    source.onopen = () => setStatus('live');
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    for (const [event, handle] of Object.entries(handlers)) {
      source.addEventListener(event, (e) => {
        const data = JSON.parse((e as MessageEvent<string>).data) as never;
        handle(data);
      });
    }
    return () => source.close();
    // The handlers are bound once per path: they update state through setters, never closures over it.
  }, [path]);
  return status;
}

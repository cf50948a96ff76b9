import { useRef, useState } from 'preact/hooks';
import { LiveCalls } from './calls/live-calls.js';
import { CallHistory } from './calls/call-history.js';
import { useNames } from '../components/use-names.js';

/** A busy server starts and ends many calls a second: the history reloads at most this often. */
const HISTORY_RELOAD_MS = 1000;

/** The landing page: calls in progress as they happen, and the history with its filters. */
export function CallsPage({ query }: { query: URLSearchParams }) {
  const agents = useNames('/agents');
  const [changes, setChanges] = useState(0);
  const pending = useRef<number | undefined>(undefined);
  const reloadHistory = (): void => {
    pending.current ??= window.setTimeout(() => {
      pending.current = undefined;
      setChanges((n) => n + 1);
    }, HISTORY_RELOAD_MS);
  };
  return (
    <>
      <h1>Calls</h1>
      <LiveCalls agents={agents} onStartOrEnd={reloadHistory} />
      <CallHistory query={query} agents={agents} refresh={changes} />
    </>
  );
}

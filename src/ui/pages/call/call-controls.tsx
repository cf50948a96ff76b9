import { useState } from 'preact/hooks';
import { api, type ApiError } from '../../api.js';
import type { Call } from '../../calls-api.js';
import { ApiErrorBox, issuesFor } from '../../components/api-errors.js';
import { asApiError } from '../../components/use-api.js';

interface TransferResult {
  ok: boolean;
  outcome?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** What the API can do to a live call: hang up (POST /calls/{id}/hangup) and transfer (…/transfer). */
export function CallControls({ call }: { call: Call }) {
  const [target, setTarget] = useState('');
  const [mode, setMode] = useState<'cold' | 'warm'>('cold');
  const [busy, setBusy] = useState<'hangup' | 'transfer'>();
  const [error, setError] = useState<ApiError>();
  const [note, setNote] = useState<string>();
  const path = `/calls/${encodeURIComponent(call.id)}`;

  async function run(what: 'hangup' | 'transfer', request: () => Promise<string | undefined>): Promise<void> {
    setBusy(what);
    setError(undefined);
    setNote(undefined);
    try {
      setNote(await request());
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(undefined);
    }
  }
  const hangUp = () =>
    run('hangup', async () => {
      await api('POST', `${path}/hangup`);
      return 'Hanging up…';
    });
  const transfer = (e: Event) => {
    e.preventDefault();
    void run('transfer', async () => {
      const r = await api<TransferResult>('POST', `${path}/transfer`, { target, mode });
      return r.ok
        ? 'Transferred.'
        : `Transfer failed: ${r.error?.message ?? JSON.stringify(r.outcome ?? {})}`;
    });
  };
  const targetIssue = issuesFor(error, 'body.target').length > 0;
  const answered = call.state === 'answered';

  return (
    <section class="panel controls" aria-labelledby="controls-title">
      <h2 id="controls-title">Live call</h2>
      <div class="control-row">
        <button type="button" class="danger" disabled={busy !== undefined} onClick={() => void hangUp()}>
          {busy === 'hangup' ? 'Hanging up…' : 'Hang up'}
        </button>
        <form class="transfer" onSubmit={transfer} aria-label="Transfer the call">
          <label for="transfer-target">Transfer to</label>
          <input
            id="transfer-target"
            value={target}
            placeholder="+14155550100, sip:…, user:alice"
            required
            disabled={!answered}
            aria-invalid={targetIssue ? true : undefined}
            aria-describedby={error ? 'controls-error' : undefined}
            onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
          />
          <label for="transfer-mode">Mode</label>
          <select
            id="transfer-mode"
            value={mode}
            disabled={!answered}
            onChange={(e) => setMode((e.target as HTMLSelectElement).value as 'cold' | 'warm')}
          >
            <option value="cold">Cold</option>
            <option value="warm">Warm</option>
          </select>
          <button type="submit" disabled={!answered || busy !== undefined || target.trim() === ''}>
            {busy === 'transfer' ? 'Transferring…' : 'Transfer'}
          </button>
        </form>
      </div>
      {note && (
        <p role="status" class="muted">
          {note}
        </p>
      )}
      <ApiErrorBox error={error} id="controls-error" />
    </section>
  );
}

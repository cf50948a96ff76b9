import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { asApiError } from '../components/use-api.js';
import { BrowserPhone, type PhoneGrant, type PhoneStatus } from './browser-phone.js';
import './phone.css';

declare global {
  interface Window {
    /** The panel's phone, for diagnostics from the console (`callwrightPhone.peerConnection.getStats()`). */
    callwrightPhone?: BrowserPhone;
  }
}

const LABELS: Record<PhoneStatus['state'], string> = {
  idle: 'Ready to call',
  connecting: 'Connecting…',
  ringing: 'Ringing…',
  'in-call': 'In call',
  ended: 'Call ended',
};

function describe(status: PhoneStatus): string {
  return status.state === 'ended' ? `${LABELS.ended}: ${status.reason}` : LABELS[status.state];
}

/**
 * "Talk to this agent": calls the agent from this browser (microphone and speaker), as a call like any
 * other (listed, recorded, recognised). The token comes from `POST /agents/{id}/phone`.
 */
export function PhonePanel({ agentId }: { agentId: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  const phone = useRef<BrowserPhone | undefined>(undefined);
  const [status, setStatus] = useState<PhoneStatus>({ state: 'idle' });
  const [error, setError] = useState<ApiError>();
  const live = status.state === 'connecting' || status.state === 'ringing' || status.state === 'in-call';

  // Leaving the page hangs up: a call nobody hears should not go on.
  useEffect(() => () => void phone.current?.hangup(), []);

  // Each press of Call is an attempt; Hang up while the token is being fetched abandons it.
  const attempt = useRef(0);

  async function call(): Promise<void> {
    const mine = ++attempt.current;
    phone.current = undefined;
    setError(undefined);
    setStatus({ state: 'connecting' });
    let grant: PhoneGrant;
    try {
      grant = await api<PhoneGrant>('POST', `/agents/${encodeURIComponent(agentId)}/phone`);
    } catch (err) {
      if (mine !== attempt.current) return;
      setStatus({ state: 'idle' });
      setError(asApiError(err));
      return;
    }
    if (mine !== attempt.current) return;
    const p = new BrowserPhone(audio.current as HTMLAudioElement, setStatus);
    phone.current = p;
    window.callwrightPhone = p;
    await p.call(grant);
  }

  function hangup(): void {
    attempt.current++;
    if (phone.current) void phone.current.hangup();
    else setStatus({ state: 'ended', reason: 'hung up' });
  }

  return (
    <section class="panel phone-panel" aria-labelledby="phone-heading">
      <h2 id="phone-heading">Talk to this agent</h2>
      <p class="hint">
        Calls the agent from this browser with your microphone. The call is stored and listed like any other.
      </p>
      <div class="phone-buttons">
        <button type="button" class="primary" onClick={() => void call()} disabled={live}>
          Call
        </button>
        <button type="button" class="danger" onClick={hangup} disabled={!live}>
          Hang up
        </button>
      </div>
      <p class="phone-status" role="status" aria-live="polite" data-state={status.state}>
        {describe(status)}
      </p>
      <ApiErrorBox error={error} />
      <audio ref={audio} autoplay />
    </section>
  );
}

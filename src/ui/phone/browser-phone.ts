/**
 * A phone in the page: SIP.js (what it is made for) calling one agent over SIP on a WebSocket
 * (RFC 7118) with WebRTC audio. Nothing is registered: the page only places calls. The grant comes
 * from the public API (`POST /agents/{id}/phone`); its token rides in a SIP header of the INVITE.
 */
import { Inviter, SessionState, UserAgent, type Session, type Web } from 'sip.js';

type WebHandler = Web.SessionDescriptionHandler;

/** What `POST /agents/{id}/phone` answers. */
export interface PhoneGrant {
  ws_url: string;
  uri: string;
  header: string;
  token: string;
  expires_at: string;
}

export type PhoneStatus =
  | { state: 'idle' }
  | { state: 'connecting' }
  | { state: 'ringing' }
  | { state: 'in-call' }
  | { state: 'ended'; reason: string };

/** Gathering stops after this long: our server needs one host candidate, not every interface's. */
const ICE_GATHERING_TIMEOUT_MS = 500;
/** The WebSocket must open within this long. */
const CONNECT_TIMEOUT_S = 10;

export class BrowserPhone {
  private ua?: UserAgent;
  private session?: Session;
  private ended = false;
  private hungUp = false;

  constructor(
    private readonly audio: HTMLAudioElement,
    private readonly onStatus: (status: PhoneStatus) => void,
  ) {}

  /** Places the call; status changes arrive through `onStatus` until `ended`. */
  async call(grant: PhoneGrant): Promise<void> {
    this.ended = false;
    this.hungUp = false;
    this.onStatus({ state: 'connecting' });
    const ua = new UserAgent({
      uri: UserAgent.makeURI('sip:dashboard@callwright.invalid'),
      displayName: 'Dashboard',
      transportOptions: { server: grant.ws_url, connectionTimeout: CONNECT_TIMEOUT_S },
      sessionDescriptionHandlerFactoryOptions: { iceGatheringTimeout: ICE_GATHERING_TIMEOUT_MS },
      logBuiltinEnabled: false,
      delegate: { onDisconnect: (err) => err && this.finish(`connection lost: ${err.message}`) },
    });
    this.ua = ua;
    try {
      await ua.start();
    } catch (err) {
      this.finish(`could not connect to ${grant.ws_url}: ${(err as Error).message}`);
      return;
    }
    const target = UserAgent.makeURI(grant.uri);
    if (!target) return this.finish(`the server gave an unusable SIP URI: ${grant.uri}`);
    const inviter = new Inviter(ua, target, {
      extraHeaders: [`${grant.header}: ${grant.token}`],
      sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
    });
    this.session = inviter;
    inviter.stateChange.addListener((state) => {
      if (state === SessionState.Established) {
        this.attachRemoteAudio();
        this.onStatus({ state: 'in-call' });
      }
      // Later: a refusal or a microphone error reported by invite() names the reason first.
      if (state === SessionState.Terminated)
        setTimeout(() => this.finish(this.hungUp ? 'hung up' : 'the agent hung up'), 0);
    });
    try {
      await inviter.invite({
        requestDelegate: {
          onProgress: (response) => {
            if (response.message.statusCode === 180 || response.message.statusCode === 183)
              this.onStatus({ state: 'ringing' });
          },
          onReject: (response) => {
            const { statusCode, reasonPhrase } = response.message;
            this.finish(`refused: ${statusCode} ${reasonPhrase}`);
          },
        },
      });
    } catch (err) {
      this.finish(describeMediaError(err));
    }
  }

  /** Hangs up (BYE), or cancels a call still ringing. */
  async hangup(): Promise<void> {
    const session = this.session;
    this.hungUp = true;
    if (!session) return this.finish('hung up');
    if (session.state === SessionState.Established) await session.bye();
    else if (session instanceof Inviter && session.state === SessionState.Establishing)
      await session.cancel();
    this.finish('hung up');
  }

  /** The call's RTCPeerConnection (statistics in tests and diagnostics). */
  get peerConnection(): RTCPeerConnection | undefined {
    return (this.session?.sessionDescriptionHandler as WebHandler | undefined)?.peerConnection;
  }

  private attachRemoteAudio(): void {
    const pc = this.peerConnection;
    if (!pc) return;
    const stream = new MediaStream();
    for (const receiver of pc.getReceivers()) if (receiver.track) stream.addTrack(receiver.track);
    this.audio.srcObject = stream;
    // Autoplay is allowed here: the call was started by a click.
    void this.audio.play().catch(() => undefined);
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.audio.srcObject = null;
    this.onStatus({ state: 'ended', reason });
    const ua = this.ua;
    this.ua = undefined;
    // Stopping the user agent closes the WebSocket; the session (if any) has already ended.
    void ua?.stop().catch(() => undefined);
  }
}

/** getUserMedia's errors, said the way a person can act on them. */
export function describeMediaError(err: unknown): string {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  if (name === 'NotAllowedError')
    return 'microphone permission was denied: allow the microphone for this site and call again';
  if (name === 'NotFoundError') return 'no microphone was found';
  if (name === 'NotReadableError') return 'the microphone is in use by another program';
  return `the call failed: ${(err as Error | undefined)?.message ?? String(err)}`;
}

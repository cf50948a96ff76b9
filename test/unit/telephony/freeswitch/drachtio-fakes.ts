/**
 * Fakes at the drachtio-srf 5 / drachtio-fsmrf 4.1.2 boundary. They copy the libraries' observable
 * behaviour as read in node_modules: Srf re-emits connect/error/close from its wire protocol and
 * reconnects by itself; createUAC resolves a Dialog or rejects with drachtio's own SipError (status,
 * reason), or, for an INVITE without SDP and `noAck`, with the callee's offer plus ack(sdp)/destroy();
 * Dialog#destroy sends BYE and removes listeners without emitting 'destroy' (only a remote
 * BYE emits it); NOTIFY/INFO without listeners are answered 200 by the dialog itself; Mrf#connect
 * rejects when the event socket is unreachable; MediaServer emits 'end' when its socket drops, and
 * each Endpoint emits 'destroy' when its own outbound socket closes; pending execute() callbacks never
 * fire once the socket is gone; connectCaller sends the 200 OK itself; uuid_break makes the running
 * playback/record application return. `uuid_audio_fork start` behaves as mod_audio_fork's: the
 * channel connects to the URL as a WebSocket client (subprotocol audio.drachtio.org) and sends the
 * metadata text frame; `stop` and the channel's end close that socket with 1000; a refused connection
 * fires CUSTOM mod_audio_fork::connect_failed with `{reason}`. The media server answers module_exists
 * and load for mod_audio_fork as its `audioForkModule` says.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { WebSocket } from 'ws';
import type { DrachtioFactory, Mrf } from '../../../../src/telephony/freeswitch/drachtio-types.js';

const require = createRequire(import.meta.url);
/** drachtio-srf's real SipError class, so status/reason shapes cannot drift. */
export const SipError = require('drachtio-srf/lib/sip_error') as new (
  status: number,
  reason?: string,
) => Error & {
  status: number;
  reason?: string;
};

let seq = 0;
const nextId = (p: string): string => `${p}-${++seq}`;

function headerGetter(headers: Record<string, string>) {
  return (name: string): string | undefined => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    return key ? headers[key] : undefined;
  };
}

export class FakeResponse {
  finished = false;
  sent: { status: number; reason?: string; opts?: any }[] = [];
  send(status: number, reason?: any, opts?: any, callback?: any): void {
    if (typeof reason === 'object') {
      opts = reason;
      reason = undefined;
    }
    this.sent.push({ status, ...(reason ? { reason } : {}), ...(opts ? { opts } : {}) });
    if (status >= 200) this.finished = true;
    if (typeof callback === 'function') callback(null, {});
  }
  get finalStatus(): number | undefined {
    return this.sent.find((s) => s.status >= 200)?.status;
  }
}

export class FakeRequest extends EventEmitter {
  cancelled = false;
  method: string;
  uri: string;
  body: string;
  headers: Record<string, string>;
  source_address: string;
  source_port: number;
  protocol: string;
  constructor(init: {
    method?: string;
    uri?: string;
    body?: string;
    headers?: Record<string, string>;
    source?: string;
    protocol?: string;
  }) {
    super();
    this.method = init.method ?? 'INVITE';
    this.uri = init.uri ?? 'sip:+15550001111@callwright.test';
    this.body = init.body ?? 'v=0\r\nm=audio 4000 RTP/AVP 0 101\r\n';
    this.headers = init.headers ?? {};
    this.source_address = init.source ?? '198.51.100.7';
    this.source_port = 5060;
    this.protocol = init.protocol ?? 'udp';
  }
  get(name: string): string | undefined {
    return headerGetter(this.headers)(name);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  cancel(): void {
    this.cancelled = true;
    this.emit('fake:cancel');
  }
}

export type RequestResponder = (opts: {
  method: string;
  headers?: Record<string, string>;
  body?: string;
}) => { status: number; reason?: string } | 'never';

export class FakeDialog extends EventEmitter {
  id = nextId('dlg');
  connected = true;
  sip = { callId: nextId('call'), localTag: 'lt', remoteTag: 'rt' };
  local = { uri: 'sip:callwright@10.0.0.1:5060', sdp: 'v=0\r\nlocal\r\n' };
  remote = { uri: 'sip:peer@198.51.100.7:5060', sdp: 'v=0\r\nm=audio 5000 RTP/AVP 0\r\n' };
  requests: { method: string; headers?: Record<string, string>; body?: string }[] = [];
  byeSent = false;
  modifiedWith: string[] = [];
  responder: RequestResponder = () => ({ status: 200 });
  constructor(readonly type: 'uac' | 'uas') {
    super();
  }
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<any> {
    if (!this.connected) return Promise.reject(new Error('dialog is gone'));
    this.requests.push(opts);
    const r = this.responder(opts);
    if (r === 'never') return new Promise(() => undefined);
    return Promise.resolve({ status: r.status, reason: r.reason ?? '', get: () => undefined });
  }
  /**
   * drachtio-server no longer knows this dialog (the far end released it): drachtio-agent.js then
   * fails the BYE with "unable to find dialog", code ENODIALOG, and Dialog#destroy rejects with it.
   */
  goneOnServer = false;
  /** The options our BYE was sent with (Dialog#destroy(opts): opts.headers go on the BYE). */
  byeOptions: any;
  destroy(opts?: any): Promise<any> {
    // Dialog#destroy: BYE, then removeDialog + removeAllListeners; no 'destroy' event locally.
    this.byeSent = true;
    this.byeOptions = opts;
    this.connected = false;
    this.removeAllListeners();
    if (this.goneOnServer) {
      const err = Object.assign(new Error('unable to find dialog'), { code: 'ENODIALOG' });
      return Promise.reject(err);
    }
    return Promise.resolve({});
  }
  modify(sdp: string): Promise<any> {
    this.modifiedWith.push(sdp);
    return Promise.resolve({});
  }
  /** The far end sends BYE (Dialog#handle 'BYE'). */
  remoteBye(): void {
    this.connected = false;
    this.emit('destroy', new FakeRequest({ method: 'BYE' }), 'normal release');
    this.removeAllListeners();
  }
  /** The far end sends an in-dialog NOTIFY; answered 200 by the dialog when nobody listens. */
  remoteNotify(body: string, subscriptionState = 'active'): FakeResponse {
    const req = new FakeRequest({
      method: 'NOTIFY',
      body,
      headers: { Event: 'refer', 'Subscription-State': subscriptionState, 'Content-Type': 'message/sipfrag' },
    });
    const res = new FakeResponse();
    if (this.listenerCount('notify') === 0) res.send(200);
    else this.emit('notify', req, res);
    return res;
  }
  /** INFO goes through setImmediate in Dialog#handle. */
  remoteInfo(body: string, contentType = 'application/dtmf-relay'): Promise<FakeResponse> {
    const req = new FakeRequest({ method: 'INFO', body, headers: { 'Content-Type': contentType } });
    const res = new FakeResponse();
    return new Promise((resolve) =>
      setImmediate(() => {
        if (this.listenerCount('info') === 0) res.send(200);
        else this.emit('info', req, res);
        resolve(res);
      }),
    );
  }
}

type Pending = { app: string; arg: string; resolve: (evt: any) => void; started: number };

function fsEvent(headers: Record<string, string>, body = '') {
  return { getHeader: (n: string) => headers[n], getBody: () => body };
}

export class FakeEndpoint extends EventEmitter {
  uuid = nextId('uuid');
  connected = true;
  local = { sdp: `v=0\r\no=fs ${this.uuid}\r\n` };
  remote = { sdp: '' };
  dialog: FakeDialog = new FakeDialog('uac');
  log: string[] = [];
  vars: Record<string, string> = { playback_terminators: 'none' };
  pending: Pending | undefined;
  bridgedTo: string | undefined;
  /** Scripted playback length; undefined = until uuid_break. */
  playMs: number | undefined = 50;
  /**
   * How `uuid_audio_fork start` goes: connects; is refused (-ERR); answers +OK and never connects; or
   * answers +OK and then reports connect_failed (the server cannot be reached).
   */
  audioFork: 'connects' | 'refused' | 'silent' | 'unreachable' = 'connects';
  /** The fork's socket to the audio-fork server once `uuid_audio_fork start` connected. */
  fork: WebSocket | undefined;
  forkArgs: string[] = [];
  missingFiles = new Set<string>();

  constructor(readonly server: FakeMediaServer) {
    super();
  }

  private run(app: string, arg: string, autoEndMs?: number): Promise<any> {
    this.log.push(`${app} ${arg}`.trim());
    return new Promise((resolve) => {
      if (!this.connected) return; // callbacks never fire once the socket is gone
      const p: Pending = { app, arg, resolve, started: Date.now() };
      this.pending = p;
      if (autoEndMs !== undefined) setTimeout(() => this.complete(p, {}), autoEndMs);
    });
  }

  private complete(p: Pending, extra: Record<string, string>): void {
    if (this.pending !== p || !this.connected) return;
    this.pending = undefined;
    const ms = String(Date.now() - p.started);
    p.resolve(
      fsEvent({
        Application: p.app,
        'Application-Response': this.missingFiles.has(p.arg) ? 'FILE NOT FOUND' : 'FILE PLAYED',
        variable_playback_ms: ms,
        variable_record_ms: ms,
        ...extra,
      }),
    );
  }

  play(file: string): Promise<any> {
    return this.run('playback', file, this.playMs).then((evt) => {
      if (evt.getHeader('Application-Response') === 'FILE NOT FOUND') throw new Error('File Not Found');
      return { playbackSeconds: '0', playbackMilliseconds: evt.getHeader('variable_playback_ms') };
    });
  }

  execute(app: string, arg = ''): Promise<any> {
    if (app === 'set') {
      this.log.push(`set ${arg}`);
      const [k, v] = arg.split('=');
      if (k) this.vars[k] = v ?? '';
      return this.connected ? Promise.resolve(fsEvent({ Application: 'set' })) : new Promise(() => undefined);
    }
    if (app === 'endless_playback') return this.run(app, arg);
    return this.run(app, arg, 0);
  }

  api(command: string, args: string | string[] = []): Promise<any> {
    const list = Array.isArray(args) ? args : [args];
    this.log.push(`api ${command} ${list.join(' ')}`.trim());
    if (!this.connected) return Promise.reject(new Error('endpoint no longer active'));
    if (command === 'uuid_audio_fork') return Promise.resolve(fsEvent({}, this.audioForkCommand(list)));
    // As FreeSWITCH 1.10: endless_playback takes a break as the end of one pass and plays on.
    if (command === 'uuid_break' && this.pending && this.pending.app !== 'endless_playback')
      this.complete(this.pending, {});
    return Promise.resolve(fsEvent({}, '+OK'));
  }

  record(
    file: string,
    opts: { timeLimitSecs?: number; silenceThresh?: number; silenceHits?: number } = {},
  ): Promise<any> {
    const args = [opts.timeLimitSecs, opts.silenceThresh, opts.silenceHits].filter(Boolean).join(' ');
    const p = this.run('record', `${file} ${args}`.trim(), this.recordEndsAfterMs);
    return p.then((evt) => ({
      terminatorUsed: evt.getHeader('variable_playback_terminator_used'),
      recordSeconds: '0',
      recordMilliseconds: evt.getHeader('variable_record_ms'),
    }));
  }
  /** When a scripted record ends by itself (limit or silence); undefined = waits. */
  recordEndsAfterMs: number | undefined;

  bridge(other: FakeEndpoint | string): Promise<any> {
    const uuid = typeof other === 'string' ? other : other.uuid;
    this.log.push(`api uuid_bridge ${this.uuid} ${uuid}`);
    if (typeof other !== 'string' && other.server !== this.server) {
      return Promise.reject(new Error('-ERR no such channel'));
    }
    if (this.pending) this.complete(this.pending, {});
    this.bridgedTo = uuid;
    if (typeof other !== 'string') other.bridgedTo = this.uuid;
    return Promise.resolve();
  }
  unbridge(): Promise<any> {
    this.log.push(`api uuid_transfer ${this.uuid} -both park inline`);
    this.bridgedTo = undefined;
    return Promise.resolve();
  }
  modify(sdp: string): Promise<any> {
    this.remote.sdp = sdp;
    this.log.push('modify');
    return Promise.resolve({});
  }
  destroy(): Promise<any> {
    if (!this.connected) return Promise.resolve();
    this.log.push('hangup');
    this.closeFork();
    this.connected = false;
    this.server.endpoints.delete(this);
    return Promise.resolve();
  }
  /** mod_audio_fork's API: arguments split on spaces, as the module reads them. */
  private audioForkCommand(args: string[]): string {
    if (!this.server.audioForkLoaded) return '-ERR no such command';
    const argv = args.join(' ').split(' ');
    const [, action, url, , , bugname = 'audio_fork', metadata = ''] = argv;
    if (action === 'stop') {
      if (!this.fork) return '-ERR Operation Failed\n';
      this.closeFork();
      return '+OK Success\n';
    }
    if (action !== 'start' || !url) return '-USAGE: uuid_audio_fork ...\n';
    if (this.fork || this.audioFork === 'refused') return '-ERR Operation Failed\n';
    this.forkArgs = argv;
    if (this.audioFork === 'silent') return '+OK Success\n';
    if (this.audioFork === 'unreachable') {
      setImmediate(() =>
        this.emit('mod_audio_fork::connect_failed', { reason: 'connection refused', bugname }),
      );
      return '+OK Success\n';
    }
    const ws = new WebSocket(url, 'audio.drachtio.org');
    this.fork = ws;
    ws.on('open', () => ws.send(metadata));
    ws.on('close', () => {
      if (this.fork === ws) this.fork = undefined;
    });
    ws.on('unexpected-response', (_req, res) => {
      this.fork = undefined;
      this.emit('mod_audio_fork::connect_failed', { reason: `HTTP ${res.statusCode}`, bugname });
    });
    ws.on('error', (err) => {
      if (this.fork !== ws) return;
      this.fork = undefined;
      this.emit('mod_audio_fork::connect_failed', { reason: err.message, bugname });
    });
    return '+OK Success\n';
  }
  private closeFork(): void {
    const ws = this.fork;
    this.fork = undefined;
    if (ws && ws.readyState !== ws.CLOSED) ws.close(1000);
  }
  customEvents = new Set<string>();
  addCustomEventListener(event: string, handler: (body: any) => void): void {
    this.customEvents.add(event);
    this.removeListener(event, handler);
    this.on(event, handler);
  }
  removeCustomEventListener(event: string, handler?: (body: any) => void): void {
    if (handler) this.removeListener(event, handler);
    else this.removeAllListeners(event);
  }
  /** A digit arrives from the caller (FreeSWITCH DTMF event; duration in 8 kHz units). */
  pressDigit(digit: string, source = 'RTP'): void {
    this.emit('dtmf', { dtmf: digit, duration: '1600', source });
    const t = this.vars.playback_terminators ?? 'none';
    if (this.pending?.app === 'record' && t !== 'none' && (t === 'any' || t.includes(digit))) {
      this.complete(this.pending, { variable_playback_terminator_used: digit });
    }
  }
  /** The endpoint's outbound event socket closes (FreeSWITCH died or hung the channel up). */
  socketLost(): void {
    if (!this.connected) return;
    this.closeFork();
    this.connected = false;
    this.pending = undefined;
    this.emit('destroy');
    this.removeAllListeners();
  }
}

export class FakeMediaServer extends EventEmitter {
  endpoints = new Set<FakeEndpoint>();
  isConnected = true;
  failCreate: string | undefined;
  disconnected = false;
  maxSessions = 1000;
  currentSessions = 0;
  created = 0;
  /**
   * Whether FreeSWITCH's outbound event-socket connection for a new endpoint arrives. `never`
   * reproduces fsmrf 4.1.2's overload path (lib/mediaserver.js createEndpoint): the INVITE to
   * FreeSWITCH goes out through the Srf fsmrf was given (createUAC, answered), no connection comes,
   * and after 4 s `timeoutFn` calls `dialog.destroy()` without a catch, on a dialog FreeSWITCH has
   * already released (so it rejects with ENODIALOG), then fails the caller with 'Connection timeout'.
   */
  eslConnection: 'arrives' | 'never' = 'arrives';
  /** fsmrf's hard-coded wait for the outbound connection. */
  static readonly ESL_CONNECT_TIMEOUT_MS = 4000;
  /** mod_audio_fork on this server: loaded, loadable by `load mod_audio_fork`, or not installed. */
  audioForkModule: 'loaded' | 'loadable' | 'missing' = 'loaded';
  apiCommands: string[] = [];
  get audioForkLoaded(): boolean {
    return this.audioForkModule === 'loaded';
  }
  /** The inbound event socket's API (MediaServer#api resolves with the body). */
  api(command: string): Promise<string> {
    this.apiCommands.push(command);
    if (command === 'module_exists mod_audio_fork') return Promise.resolve(String(this.audioForkLoaded));
    if (command === 'load mod_audio_fork') {
      if (this.audioForkModule === 'missing')
        return Promise.resolve('-ERR [module load file routine returned an error]\n');
      this.audioForkModule = 'loaded';
      return Promise.resolve('+OK Reloading XML\n+OK\n');
    }
    return Promise.resolve('-ERR unknown command\n');
  }
  constructor(
    readonly address: string,
    private readonly srf?: FakeSrf,
  ) {
    super();
  }
  connected(): boolean {
    return this.isConnected;
  }
  disconnect(): void {
    this.disconnected = true;
    this.isConnected = false;
  }
  createEndpoint(opts: { remoteSdp?: string } = {}): Promise<FakeEndpoint> {
    if (!this.isConnected) return Promise.reject(new Error('too early: mediaserver is not connected'));
    if (this.failCreate) return Promise.reject(new Error(this.failCreate));
    if (this.eslConnection === 'never') return this.createEndpointWithoutConnection(opts);
    const ep = new FakeEndpoint(this);
    if (opts.remoteSdp) ep.remote.sdp = opts.remoteSdp;
    this.endpoints.add(ep);
    this.created++;
    // Endpoint emits 'ready' via setImmediate before createEndpoint resolves.
    return new Promise((resolve) => setImmediate(() => resolve(ep)));
  }
  private createEndpointWithoutConnection(opts: { remoteSdp?: string }): Promise<FakeEndpoint> {
    const srf = this.srf;
    if (!srf) throw new Error('FakeMediaServer needs the Srf from createMrf(srf) to send its INVITE');
    return new Promise((resolve, reject) => {
      const callback = (err: Error | null, ep?: FakeEndpoint): void =>
        err ? reject(err) : resolve(ep as FakeEndpoint);
      srf
        .createUAC(`sip:drachtio@${this.address}`, {
          headers: { 'User-Agent': 'drachtio-fsmrf:fake', 'X-esl-outbound': '10.0.0.1:8085' },
          localSdp: opts.remoteSdp,
        })
        .then((dlg) => {
          const dialog = dlg as FakeDialog;
          // FreeSWITCH gave up on the channel whose outbound socket it never opened.
          dialog.goneOnServer = true;
          setTimeout(() => {
            // As fsmrf's timeoutFn: the Promise destroy() returns is dropped.
            void dialog.destroy();
            callback(new Error('Connection timeout'));
          }, FakeMediaServer.ESL_CONNECT_TIMEOUT_MS);
        })
        .catch((err: Error) => callback(err));
    });
  }

  async connectCaller(
    req: FakeRequest,
    res: FakeResponse,
  ): Promise<{ endpoint: FakeEndpoint; dialog: FakeDialog }> {
    const endpoint = await this.createEndpoint({ remoteSdp: req.body });
    const dialog = new FakeDialog('uas');
    dialog.sip.callId = req.get('Call-ID') ?? dialog.sip.callId;
    res.send(200, { body: endpoint.local.sdp });
    return { endpoint, dialog };
  }
  /** FreeSWITCH goes away: the inbound socket ends and every endpoint socket closes. */
  crash(): void {
    this.isConnected = false;
    this.emit('end');
    for (const ep of [...this.endpoints]) ep.socketLost();
    this.endpoints.clear();
  }
}

export class FakeMrf implements Mrf {
  /** address → reachable? */
  reachable = new Map<string, boolean>();
  servers: FakeMediaServer[] = [];
  connects: any[] = [];
  /** The Srf the backend handed to `createMrf` (fsmrf's `mrf.srf`), used by media servers' INVITEs. */
  srf: FakeSrf | undefined;
  /** Applied to each media server as it connects. */
  eslConnection: FakeMediaServer['eslConnection'] = 'arrives';
  async connect(opts: { address: string }): Promise<any> {
    this.connects.push(opts);
    if (this.reachable.get(opts.address) === false)
      throw new Error(`connect ECONNREFUSED ${opts.address}:8021`);
    const ms = new FakeMediaServer(opts.address, this.srf);
    ms.eslConnection = this.eslConnection;
    this.servers.push(ms);
    return ms;
  }
  latest(address: string): FakeMediaServer {
    const list = this.servers.filter((s) => s.address === address);
    const ms = list[list.length - 1];
    if (!ms) throw new Error(`no media server connected at ${address}`);
    return ms;
  }
}

export interface FakeUacOffer {
  sdp: string;
  ack(localSdp: string): Promise<FakeDialog>;
  destroy(): Promise<void>;
}

export type UacScript =
  | { kind: 'answer' }
  | { kind: 'status'; status: number; reason?: string; ringFirst?: boolean }
  | { kind: 'ring' }
  /** Never answers, not even the CANCEL (drachtio-server's Timer B ends it with a 408 only live). */
  | { kind: 'silent' }
  | { kind: 'error'; message: string };

export class FakeSrf extends EventEmitter {
  connectOpts: any;
  serverUp = true;
  disconnected = false;
  inviteHandler: ((req: any, res: any) => void) | undefined;
  uacScript: (uri: string, opts: any) => UacScript = () => ({ kind: 'answer' });
  uacCalls: { uri: string; opts: any; req: FakeRequest }[] = [];
  dialogs: FakeDialog[] = [];

  connect(opts: any): void {
    this.connectOpts = opts;
    // Srf re-emits its agent's events with setImmediate.
    setImmediate(() => {
      if (this.serverUp) this.emit('connect', null, `${opts.host}:${opts.port}`, '0.9.3');
      else {
        this.emit('error', new Error(`connect ECONNREFUSED ${opts.host}:${opts.port}`));
        this.emit('close');
      }
    });
  }
  disconnect(): void {
    this.disconnected = true;
  }
  invite(handler: (req: any, res: any) => void): void {
    this.inviteHandler = handler;
  }
  optionsHandler: ((req: any, res: any) => void) | undefined;
  options(handler: (req: any, res: any) => void): void {
    this.optionsHandler = handler;
  }
  /** An OPTIONS arrives from the network (a dispatcher's probe), from `source` when given. */
  probe(source?: string): FakeResponse {
    const res = new FakeResponse();
    if (!this.optionsHandler) throw new Error('no options handler registered');
    this.optionsHandler(new FakeRequest({ method: 'OPTIONS', ...(source ? { source } : {}) }), res);
    return res;
  }
  /** drachtio-server goes away; the wire protocol starts reconnecting. */
  drop(): void {
    setImmediate(() => {
      this.emit('close');
      this.emit('reconnecting', { delay: 255, attempt: 2 });
    });
  }
  /** The wire protocol's retry succeeds. */
  restore(): void {
    setImmediate(() =>
      this.emit('connect', null, `${this.connectOpts.host}:${this.connectOpts.port}`, '0.9.3'),
    );
  }
  /** An INVITE arrives from the network. */
  incoming(init: ConstructorParameters<typeof FakeRequest>[0] = {}): { req: FakeRequest; res: FakeResponse } {
    const req = new FakeRequest({
      headers: {
        From: '"Alice" <sip:+14155550100@198.51.100.7>;tag=abc',
        To: '<sip:+15550001111@callwright.test>',
        'Call-ID': nextId('inbound-call'),
        'X-Campaign': 'spring',
      },
      ...init,
    });
    const res = new FakeResponse();
    if (!this.inviteHandler) throw new Error('no invite handler registered');
    this.inviteHandler(req, res);
    return { req, res };
  }
  /** Late-offer calls (noAck) the callee answered but we released with ACK + BYE (UacOffer#destroy). */
  released: FakeDialog[] = [];
  createUAC(
    uri: string,
    opts: any,
    progress: { cbRequest?: (err: any, req: any) => void; cbProvisional?: (res: any) => void } = {},
  ): Promise<FakeDialog | FakeUacOffer> {
    const req = new FakeRequest({
      uri,
      body: opts.localSdp,
      headers: {
        From: `<sip:${opts.callingNumber ?? 'anonymous'}@localhost>;tag=x`,
        To: `<${uri}>`,
        ...opts.headers,
      },
    });
    this.uacCalls.push({ uri, opts, req });
    const script = this.uacScript(uri, opts);
    return new Promise((resolve, reject) => {
      setImmediate(() => progress.cbRequest?.(null, req));
      const answer = (): void => {
        const d = new FakeDialog('uac');
        d.remote.sdp = 'v=0\r\nm=audio 7000 RTP/AVP 0\r\ncallee\r\n';
        if (!opts.localSdp && opts.noAck === true) {
          // srf.js: an INVITE without SDP and noAck resolves with the callee's offer; the caller ACKs.
          resolve({
            sdp: d.remote.sdp,
            ack: (localSdp: string) => {
              d.local.sdp = localSdp;
              this.dialogs.push(d);
              return Promise.resolve(d);
            },
            destroy: () => {
              d.byeSent = true;
              d.connected = false;
              this.released.push(d);
              return Promise.resolve();
            },
          });
          return;
        }
        this.dialogs.push(d);
        resolve(d);
      };
      switch (script.kind) {
        case 'answer':
          setImmediate(answer);
          break;
        case 'status':
          if (script.ringFirst) setImmediate(() => progress.cbProvisional?.({ status: 180 }));
          setImmediate(() => reject(new SipError(script.status, script.reason)));
          break;
        case 'silent':
          break;
        case 'error':
          setImmediate(() => reject(new Error(script.message)));
          break;
        case 'ring':
          setImmediate(() => progress.cbProvisional?.({ status: 180 }));
          req.once('fake:cancel', () => setImmediate(() => reject(new SipError(487, 'Request Terminated'))));
          break;
      }
    });
  }
}

export class FakeDrachtio implements DrachtioFactory {
  srf = new FakeSrf();
  mrf = new FakeMrf();
  createSrf(): any {
    return this.srf;
  }
  createMrf(srf: any): Mrf {
    this.mrf.srf = srf as FakeSrf;
    return this.mrf;
  }
}

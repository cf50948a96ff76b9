/**
 * The parts of drachtio-srf 5.x and drachtio-fsmrf 4.1.2 this backend uses, typed loosely on purpose:
 * these libraries ship no (or partial) types, and their objects stay inside this folder. Shapes follow
 * the library sources (node_modules/drachtio-srf/lib/{srf,dialog,request,response}.js,
 * node_modules/drachtio-fsmrf/lib/{mrf,mediaserver,endpoint}.js); the unit-test fakes copy them.
 */
import type { EventEmitter } from 'node:events';

/** A SIP request as drachtio-srf hands it to `srf.invite` or dialog events. */
export interface SrfRequest extends EventEmitter {
  method: string;
  uri: string;
  body: string;
  headers: Record<string, string>;
  source_address: string;
  source_port: number;
  /** Transport the request came on as drachtio-server reports it: udp, tcp, tls, ws, wss. */
  protocol?: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Only for requests this app sent (createUAC's cbRequest): sends CANCEL. */
  cancel?(opts?: any, callback?: (err: Error | null) => void): void;
}

/** `res.send(status[, reason][, opts][, callback])` as in drachtio-srf's Response. */
export interface SrfResponse {
  send(status: number, reason?: any, opts?: any, callback?: any): void;
  finished: boolean;
  status?: number;
  reason?: string;
  get?(name: string): string | undefined;
}

/** A SIP dialog (drachtio-srf Dialog): emits destroy(req, reason), notify/info/refer(req, res), modify. */
export interface SrfDialog extends EventEmitter {
  id: string;
  type: 'uac' | 'uas';
  connected: boolean;
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string; contact?: string };
  remote: { uri: string; sdp: string };
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfResponse>;
  destroy(opts?: any): Promise<any>;
  modify(sdp: string, opts?: any): Promise<any>;
}

export interface CreateUacOptions {
  localSdp?: string;
  /** With no localSdp: resolve with the callee's offer (UacOffer) and leave the ACK to the caller. */
  noAck?: boolean;
  headers?: Record<string, string>;
  auth?: { username: string; password: string };
  proxy?: string;
  callingNumber?: string;
  callingName?: string;
}

/**
 * What createUAC resolves with for an INVITE without SDP and `noAck: true` once the callee's 2xx
 * carries an offer (srf.js): `ack(sdp)` sends the ACK with our answer and yields the Dialog;
 * `destroy()` ACKs with the callee's own SDP and then sends BYE.
 */
export interface UacOffer {
  sdp: string;
  ack(localSdp: string): Promise<SrfDialog>;
  destroy(): Promise<void>;
}

/** drachtio-srf's Srf: an EventEmitter with connect/error/reconnecting/close events. */
export interface Srf extends EventEmitter {
  connect(opts: { host: string; port: number; secret: string; reconnect?: any }): void;
  disconnect(): void;
  invite(handler: (req: SrfRequest, res: SrfResponse) => void): void;
  /** OPTIONS outside a dialog (drachtio-server hands them to the app; see its processMessageStatelessly). */
  options(handler: (req: SrfRequest, res: SrfResponse) => void): void;
  createUAC(
    uri: string,
    opts: CreateUacOptions,
    progress?: {
      cbRequest?: (err: Error | null, req: SrfRequest) => void;
      cbProvisional?: (res: any) => void;
    },
  ): Promise<SrfDialog | UacOffer>;
}

/** drachtio-fsmrf's Endpoint: emits dtmf({dtmf, duration, source}), destroy({reason}?). */
export interface FsEndpoint extends EventEmitter {
  uuid: string;
  connected: boolean;
  local: { sdp: string; mediaIp?: string; mediaPort?: string };
  remote: { sdp: string };
  dialog: SrfDialog;
  play(file: string | string[] | { file: string; timeoutSecs?: number }): Promise<any>;
  execute(app: string, arg?: string): Promise<any>;
  api(command: string, args?: string | string[]): Promise<any>;
  record(
    file: string,
    opts?: { timeLimitSecs?: number; silenceThresh?: number; silenceHits?: number },
  ): Promise<any>;
  bridge(other: FsEndpoint | string): Promise<any>;
  unbridge(): Promise<any>;
  modify(sdp: string): Promise<any>;
  destroy(): Promise<any>;
  /** Subscribes to `CUSTOM <event>` on the channel; the handler gets the body (parsed when JSON). */
  addCustomEventListener(event: string, handler: (body: any) => void): void;
  removeCustomEventListener(event: string, handler?: (body: any) => void): void;
}

/** drachtio-fsmrf's MediaServer: emits 'end' when its inbound event socket drops. */
export interface FsMediaServer extends EventEmitter {
  address: string;
  maxSessions: number;
  currentSessions: number;
  connected(): boolean;
  disconnect(): void;
  /** An API command on the inbound event socket; resolves with the response body. */
  api(command: string): Promise<string>;
  createEndpoint(opts?: any): Promise<FsEndpoint>;
  connectCaller(
    req: SrfRequest,
    res: SrfResponse,
    opts?: any,
  ): Promise<{ endpoint: FsEndpoint; dialog: SrfDialog }>;
}

/** drachtio-fsmrf's Mrf. */
export interface Mrf {
  connect(opts: {
    address: string;
    port: number;
    secret: string;
    listenAddress?: string;
    listenPort?: number;
    advertisedAddress?: string;
    profile?: string;
  }): Promise<FsMediaServer>;
}

/** Builds the library objects; tests pass fakes, production passes `realDrachtio()`. */
export interface DrachtioFactory {
  createSrf(): Srf;
  createMrf(srf: Srf): Mrf;
}

import { CallwrightError } from '../../errors.js';
import type { CallInfo, CallLeg, InboundCall } from '../port.js';
import type { SrfRequest, SrfResponse } from './drachtio-types.js';
import type { MediaServerHandle } from './media-server-pool.js';
import { withTimeout } from '../../util/with-timeout.js';
import type { FreeswitchCallLeg } from './freeswitch-call-leg.js';
import type { FsEndpoint, SrfDialog } from './drachtio-types.js';

export interface InboundDeps {
  /** Media servers to try, best first. */
  candidates(): MediaServerHandle[];
  makeLeg(info: CallInfo, ep: FsEndpoint, dialog: SrfDialog, server: MediaServerHandle): FreeswitchCallLeg;
  answerTimeoutMs: number;
  /** The call got a final answer other than our 200 (rejected, cancelled, no media server). */
  onUnanswered?(): void;
}

/**
 * An INVITE drachtio-server handed us. Answering places the caller on a FreeSWITCH endpoint with
 * drachtio-fsmrf's connectCaller (INVITE to FreeSWITCH with the caller's offer, then 200 OK to the
 * caller with FreeSWITCH's answer). If a media server fails, the next one is tried before giving up.
 */
export class FreeswitchInboundCall implements InboundCall {
  readonly cancelled: Promise<void>;
  private isCancelled = false;
  private rang = false;
  private final = false;

  constructor(
    readonly info: CallInfo,
    private readonly req: SrfRequest,
    private readonly res: SrfResponse,
    private readonly deps: InboundDeps,
  ) {
    this.cancelled = new Promise((resolve) => {
      req.once('cancel', () => {
        this.isCancelled = true;
        this.final = true;
        this.deps.onUnanswered?.();
        resolve();
      });
    });
  }

  async ring(): Promise<void> {
    if (this.rang || this.final) return;
    this.rang = true;
    this.res.send(180);
  }

  async reject(status: number, reason?: string): Promise<void> {
    if (!Number.isInteger(status) || status < 300 || status > 699) {
      throw new Error(`status: got ${status}, expected a final SIP status 300-699`);
    }
    if (this.final) return;
    this.final = true;
    if (reason) this.res.send(status, reason);
    else this.res.send(status);
    this.deps.onUnanswered?.();
  }

  async answer(): Promise<CallLeg> {
    if (this.isCancelled) throw new CallwrightError('PRECONDITION', 'the caller cancelled before the answer');
    if (this.final) throw new CallwrightError('PRECONDITION', 'the call was already answered or rejected');
    const errors: string[] = [];
    for (const server of this.deps.candidates()) {
      const ms = server.ms;
      if (!ms) continue;
      try {
        const { endpoint, dialog } = await withTimeout(
          ms.connectCaller(this.req, this.res),
          this.deps.answerTimeoutMs,
          'connectCaller',
        );
        this.final = true;
        return this.deps.makeLeg(this.info, endpoint, dialog, server);
      } catch (err) {
        errors.push(`${server.name}: ${(err as Error).message}`);
        // The caller may have given up, or drachtio may already have sent the final response.
        if (this.isCancelled || this.res.finished) break;
      }
    }
    if (!this.res.finished && !this.isCancelled) this.res.send(503);
    if (!this.isCancelled) this.deps.onUnanswered?.();
    this.final = true;
    throw new CallwrightError(
      'UNAVAILABLE',
      errors.length
        ? `no media server could take the call (${errors.join('; ')})`
        : 'no media server is connected',
    );
  }
}

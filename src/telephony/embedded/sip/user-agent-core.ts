/**
 * The transaction user: every request that is not a retransmission lands here. Decides access, answers
 * what needs no call (OPTIONS, CANCEL, unknown dialogs, unsupported methods) and routes the rest to
 * the dialog that owns it or, for a new INVITE, to the backend.
 */
import type { Logger } from '../../../logging/logger.js';
import type { DigestBans } from '../../sip/digest-bans.js';
import type { AccessControl } from '../../sip/access-control.js';
import type { DidRouter } from '../../sip/did-router.js';
import type { DigestVerifier } from '../../sip/digest-auth.js';
import { buildResponse, newTag, type ResponseOptions } from './sip-builder.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import type { SipStack } from './sip-stack.js';
import type { Destination } from './sip-transport.js';
import type { ServerTransaction } from './server-transaction.js';
import type { TransactionUser } from './transaction-layer.js';
import { dialogKey } from './dialog.js';
import { parseUri } from './sip-uri.js';

export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY';

export interface DialogOwner {
  onRequest(request: SipRequest, tx: ServerTransaction): void;
  onAck(request: SipRequest): void;
  /** A 2xx to our INVITE arrived again after its transaction ended. */
  onStray2xx?(response: SipResponse): void;
}

export interface NewInvite {
  request: SipRequest;
  tx: ServerTransaction;
  source: Destination;
  trunk?: string;
}

export interface UserAgentCoreDeps {
  stack: SipStack;
  access: AccessControl;
  dids: DidRouter;
  digest: DigestVerifier;
  /** Failed digest answers are reported here; its banned sources get no answer at all. */
  bans?: DigestBans;
  logger: Logger;
  onInvite(invite: NewInvite): void;
  /** Admission state for OPTIONS: a refusal while full or draining, undefined when calls are taken. */
  admissionProbe?(): { retryAfterS: number } | undefined;
}

export class UserAgentCore implements TransactionUser {
  private readonly dialogs = new Map<string, DialogOwner>();
  /** Pending INVITE server transactions by key, told when a CANCEL arrives. */
  private readonly pending = new Map<string, () => void>();

  constructor(private readonly deps: UserAgentCoreDeps) {}

  get dialogCount(): number {
    return this.dialogs.size;
  }

  register(key: string, owner: DialogOwner): void {
    this.dialogs.set(key, owner);
  }

  unregister(key: string): void {
    this.dialogs.delete(key);
  }

  watchCancel(tx: ServerTransaction, onCancel: () => void): () => void {
    this.pending.set(tx.key, onCancel);
    return () => this.pending.delete(tx.key);
  }

  /** Builds and sends a response on `tx`, adding a To tag to finals (RFC 3261 §8.2.6.2). */
  respond(tx: ServerTransaction, status: number, options: ResponseOptions = {}): string {
    const toTag = options.toTag ?? (status > 100 && !tx.request.to.params.tag ? newTag() : undefined);
    const text = buildResponse(tx.request, status, {
      ...options,
      toTag,
      serverHeader: this.deps.stack.options.userAgent,
    });
    tx.respond(status, text);
    return text;
  }

  onRequest(request: SipRequest, tx: ServerTransaction | undefined, source: Destination): void {
    const toTag = request.to.params.tag;
    if (!tx) {
      // ACK to a 2xx: belongs to a dialog or is ignored (RFC 3261 §17.2.3).
      if (toTag)
        this.dialogs.get(dialogKey(request.callId, toTag, request.from.params.tag ?? ''))?.onAck(request);
      return;
    }
    if (request.method === 'CANCEL') return this.cancel(request, tx);
    if (toTag) {
      if (this.refusedExtensions(request, tx)) return;
      const owner = this.dialogs.get(dialogKey(request.callId, toTag, request.from.params.tag ?? ''));
      if (owner) owner.onRequest(request, tx);
      else this.respond(tx, 481);
      return;
    }
    this.outOfDialog(request, tx, source);
  }

  /**
   * Banned sources are dropped before a transaction exists: RFC 3261 §22.1 would allow a 403, but
   * silence costs the attacker a timeout per guess and confirms nothing about the account.
   */
  accepts(source: Destination): boolean {
    if (!this.deps.bans?.isBanned(source.address)) return true;
    this.deps.stack.dropped++;
    return false;
  }

  onStrayResponse(response: SipResponse): void {
    if (response.cseq.method !== 'INVITE' || response.status < 200 || response.status >= 300) return;
    const owner = this.dialogs.get(
      dialogKey(response.callId, response.from.params.tag ?? '', response.to.params.tag ?? ''),
    );
    owner?.onStray2xx?.(response);
  }

  private cancel(request: SipRequest, tx: ServerTransaction): void {
    const invite = this.deps.stack.transactions.findInviteFor(request);
    const onCancel = invite ? this.pending.get(invite.key) : undefined;
    if (!invite || !onCancel || invite.state !== 'proceeding') return void this.respond(tx, 481);
    // RFC 3261 §9.2: 200 to the CANCEL, then the TU answers the INVITE with 487.
    this.respond(tx, 200, { toTag: undefined });
    this.pending.delete(invite.key);
    onCancel();
  }

  private admitted(
    request: SipRequest,
    tx: ServerTransaction,
    source: Destination,
  ): { trunk?: string } | undefined {
    const { access, digest } = this.deps;
    const decision = access.decide(source.address, request.headers.get('user-agent'));
    if (decision.verdict === 'allow') return { trunk: decision.trunk };
    // Browsers connect from anywhere: their INVITE is admitted by its phone token (checked by the
    // call layer, which refuses a WebSocket call without a valid one), not by their address.
    if (source.transport === 'ws' && decision.verdict !== 'drop') return {};
    if (decision.verdict === 'drop') {
      // Scanners get silence: no response, and the transaction is forgotten at once.
      this.deps.stack.dropped++;
      tx.abort();
      return undefined;
    }
    const auth = request.headers.get('authorization');
    if (decision.verdict === 'challenge' && auth) {
      const result = digest.check(auth, request.method, (u) => access.password(u));
      if (result.ok) return { trunk: access.trunkOfUser(result.username) };
      if (result.reason === 'stale-nonce') {
        // Right credentials over an old nonce: a new challenge, not a failure (RFC 7616 §3.3).
        this.respond(tx, 401, { headers: [['WWW-Authenticate', digest.challenge(Date.now(), true)]] });
        return undefined;
      }
      const { username, realm, reason } = result;
      const { address, port } = source;
      this.deps.bans?.recordFailure({ username, realm, reason, address, port, method: request.method });
    }
    // Same answer for unknown users, wrong passwords and unknown addresses.
    if (decision.verdict === 'challenge' && !auth) {
      this.respond(tx, 401, { headers: [['WWW-Authenticate', digest.challenge()]] });
    } else this.respond(tx, 403);
    return undefined;
  }

  private outOfDialog(request: SipRequest, tx: ServerTransaction, source: Destination): void {
    const admitted = this.admitted(request, tx, source);
    if (!admitted) return;
    if (this.refusedExtensions(request, tx)) return;
    switch (request.method) {
      case 'OPTIONS': {
        // Keep-alive pings from trunks and dispatcher probes (RFC 3261 §11.2). While full or draining
        // the answer is what an INVITE would get, 503 + Retry-After (§21.5.4), so a dispatcher in
        // front (Kamailio) takes this node out until it answers 200 again.
        const full = this.deps.admissionProbe?.();
        if (full) return void this.respond(tx, 503, { headers: [['Retry-After', String(full.retryAfterS)]] });
        return void this.respond(tx, 200, {
          headers: [
            ['Allow', ALLOW],
            ['Accept', 'application/sdp'],
          ],
        });
      }
      case 'INVITE':
        return this.invite(request, tx, source, admitted.trunk);
      case 'BYE':
      case 'INFO':
      case 'NOTIFY':
      case 'REFER':
        return void this.respond(tx, 481);
      case 'REGISTER':
      case 'SUBSCRIBE':
      case 'PUBLISH':
      case 'MESSAGE':
      case 'UPDATE':
      case 'PRACK':
        return void this.respond(tx, 405, { headers: [['Allow', ALLOW]] });
      default:
        return void this.respond(tx, 501, { headers: [['Allow', ALLOW]] });
    }
  }

  /**
   * RFC 3261 §8.2.2.3: we support no option tag, so any `Require` gets 420 listing every tag it named in
   * Unsupported, for every method but ACK and CANCEL (which carry no Require of their own, §9.1, §13.2.2.4).
   */
  private refusedExtensions(request: SipRequest, tx: ServerTransaction): boolean {
    if (request.method === 'ACK' || request.method === 'CANCEL') return false;
    const tags = request.headers
      .getAll('require')
      .flatMap((v) => v.split(','))
      .map((t) => t.trim())
      .filter(Boolean);
    if (tags.length === 0) return false;
    this.respond(tx, 420, { headers: [['Unsupported', tags.join(', ')]] });
    return true;
  }

  private invite(request: SipRequest, tx: ServerTransaction, source: Destination, trunk?: string): void {
    const mf = request.headers.get('max-forwards');
    if (mf !== undefined && Number(mf) === 0) return void this.respond(tx, 483);
    const type = (request.headers.get('content-type') ?? 'application/sdp')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    if (request.body && type !== 'application/sdp') {
      // RFC 3261 §8.2.3: a body we cannot read gets 415 with what we accept (RFC 4475 §3.3.6 invut).
      return void this.respond(tx, 415, { headers: [['Accept', 'application/sdp']] });
    }
    const user = parseUri(request.uri)?.user ?? '';
    // A browser's call is routed by its phone token to one agent, not by a dialled number.
    if (source.transport !== 'ws' && !this.deps.dids.accepts(user)) return void this.respond(tx, 404);
    this.deps.onInvite({ request, tx, source, ...(trunk ? { trunk } : {}) });
  }
}

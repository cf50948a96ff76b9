import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallwrightError } from '../errors.js';
import type { NodeRecord, NodeRegistry } from './node-registry.js';

/** Marks a request one node sent another: the receiver handles it itself, never sends it on (no loops). */
export const FORWARDED_HEADER = 'x-callwright-forwarded-by';

/** Request headers a forwarded request keeps: who is asking (key or dashboard session) and what it sends. */
const KEPT_REQUEST_HEADERS = [
  'authorization',
  'cookie',
  'x-csrf-token',
  'content-type',
  'accept',
  'last-event-id',
  'idempotency-key',
  'traceparent',
];

/** Response headers passed back (hop-by-hop ones and the length of a re-framed body are not). */
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export interface ForwardingOptions {
  /** Milliseconds to wait for the other node's response headers (default 10 s; a live stream then runs on). */
  timeoutMs?: number;
}

/**
 * Sends API requests about a live call to the node that holds it, and calls out to the node with the most
 * free capacity (docs/scaling.md). Only nodes' own `api_url`s (from the shared `nodes` table) are ever
 * contacted; the caller's own credentials go with the request, so the other node authorises it exactly as
 * this one would.
 */
export class CallForwarding {
  constructor(
    private readonly registry: NodeRegistry,
    private readonly options: ForwardingOptions = {},
  ) {}

  get nodeId(): string {
    return this.registry.self.id;
  }

  /** True when another node already forwarded this request here: it is handled here, whatever happens. */
  isForwarded(request: FastifyRequest): boolean {
    return request.headers[FORWARDED_HEADER] !== undefined;
  }

  /**
   * The node to send a request about a call to, or undefined to handle it here (this node holds the call,
   * the call has ended or has no node, or the request was already forwarded). A call whose node is dead
   * is handled here too: the survivor's answer (the call is being closed) is the truthful one.
   */
  async ownerOf(request: FastifyRequest, call: { node_id: string | null; ended_at: string | null }) {
    if (this.isForwarded(request) || call.ended_at !== null || !call.node_id) return undefined;
    if (call.node_id === this.nodeId) return undefined;
    return this.registry.node(call.node_id);
  }

  /** The node a new call out should be placed on, or undefined for this one. */
  async placement(request: FastifyRequest): Promise<NodeRecord | undefined> {
    if (this.isForwarded(request)) return undefined;
    const best = await this.registry.freest();
    return best && best.id !== this.nodeId ? best : undefined;
  }

  /** Replays the request on `node` and streams its response back as this request's response. */
  async forward(request: FastifyRequest, reply: FastifyReply, node: NodeRecord): Promise<FastifyReply> {
    const headers: Record<string, string> = { [FORWARDED_HEADER]: this.nodeId };
    for (const name of KEPT_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const body =
      request.body === undefined || request.method === 'GET' || request.method === 'HEAD'
        ? undefined
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 10_000);
    // The client going away ends the forwarded request too (a live view's stream, a slow answer); once the
    // response is finished the abort is a no-op.
    reply.raw.once('close', () => controller.abort());
    let res: Response;
    try {
      res = await fetch(new URL(request.url, node.api_url), {
        method: request.method,
        headers,
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
    } catch (err) {
      throw new CallwrightError(
        'UNAVAILABLE',
        `the call is held by node ${node.id}, which did not answer at ${node.api_url}: ${(err as Error).message}`,
        [{ field: 'node', value: node.id, expected: 'a reachable cluster.api_url' }],
      );
    } finally {
      clearTimeout(timer);
    }
    reply.code(res.status);
    res.headers.forEach((value, name) => {
      if (!DROPPED_RESPONSE_HEADERS.has(name)) void reply.header(name, value);
    });
    void reply.header('x-callwright-node', node.id);
    if (!res.body) return reply.send();
    return reply.send(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>));
  }
}

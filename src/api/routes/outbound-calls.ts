import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { errorResponses } from '../schemas/common.js';
import { requireCalls } from './call-control.js';
import { AdmissionRefusedError } from '../../calls/admission.js';
import { MAX_QUEUE_TIMEOUT_S } from '../../calls/call-manager.js';
import { CallAmd } from '../../calls/amd/amd-call-settings.js';

export const OutboundCallBody = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 100, description: 'Agent id or name' }),
    to: Type.String({ minLength: 1, maxLength: 300, description: 'E.164 number or SIP URI' }),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Caller id (From user)' })),
    trunk: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Trunk name (sip.trunks)' }),
    ),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Integration data, data.* in every template',
      }),
    ),
    ring_timeout_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 300000 })),
    queue: Type.Optional(
      Type.Boolean({
        description:
          'Over an admission limit (admission.*, sip.trunks[].max_*): wait for a place up to queue_timeout_s instead of answering 503 at once',
      }),
    ),
    queue_timeout_s: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_QUEUE_TIMEOUT_S,
        description: 'With queue: longest wait for a place, in seconds (default 30)',
      }),
    ),
    record: Type.Optional(
      Type.Boolean({
        description:
          "Record the whole call (true) or not (false) whatever the agent's recording setting says",
      }),
    ),
    amd: Type.Optional(CallAmd),
  },
  { additionalProperties: false },
);

/** 503 body: which limit refused the call, and when to try again (also in the Retry-After header). */
const RefusedBody = Type.Object({
  code: Type.Literal('UNAVAILABLE'),
  message: Type.String(),
  reason: Type.Optional(Type.String({ description: 'concurrency | rate | overload | draining' })),
  limit: Type.Optional(
    Type.String({ description: 'The setting that refused, e.g. admission.max_concurrent_calls' }),
  ),
  retry_after_s: Type.Optional(Type.Integer()),
});

/**
 * POST /calls: starts an outbound call with an agent and variables. Refused (nothing dialled) for a
 * `trunk` not in sip.trunks (400 VALIDATION), an E.164 number while sip.trunks is empty
 * (409 PRECONDITION), a number on the Do-Not-Call list (409 DNC) and outside calling hours in the
 * callee's time zone (409 PRECONDITION). Over an admission limit it answers 503 with Retry-After and
 * a body naming the limit, or, with `queue: true`, waits up to `queue_timeout_s` for a place first.
 * Answers 202 once dialling has started; follow the call at GET /calls/:id.
 */
export async function outboundCallRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post<{ Body: Static<typeof OutboundCallBody> }>(
    '/calls',
    {
      schema: {
        tags: ['calls'],
        summary: 'Start an outbound call with an agent (trunk, DNC and calling hours checked first)',
        body: OutboundCallBody,
        response: {
          202: Type.Object({ call_id: Type.String(), state: Type.String() }),
          ...errorResponses,
          503: RefusedBody,
        },
      },
    },
    async (req, reply) => {
      try {
        return await reply.code(202).send(await requireCalls(deps).placeCall(req.body));
      } catch (err) {
        if (!(err instanceof AdmissionRefusedError)) throw err;
        // RFC 9110 §10.2.3: tells the client when to try again.
        return reply.code(503).header('Retry-After', String(err.refusal.retryAfterS)).send(err.toJSON());
      }
    },
  );
}

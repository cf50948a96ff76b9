import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { errorResponses } from '../schemas/common.js';
import { requireCalls } from './call-control.js';

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
    record: Type.Optional(
      Type.Boolean({
        description:
          "Record the whole call (true) or not (false) whatever the agent's recording setting says",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * POST /calls: starts an outbound call with an agent and variables. Refused (nothing dialled) for a
 * `trunk` not in sip.trunks (400 VALIDATION), an E.164 number while sip.trunks is empty
 * (409 PRECONDITION), a number on the Do-Not-Call list (409 DNC) and outside calling hours in the
 * callee's time zone (409 PRECONDITION). Answers 202 once dialling has started; follow the call at
 * GET /calls/:id.
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
        },
      },
    },
    async (req, reply) => reply.code(202).send(await requireCalls(deps).placeCall(req.body)),
  );
}

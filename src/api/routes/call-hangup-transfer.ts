import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { CallwrightError } from '../../errors.js';
import { resolveTarget } from '../../calls/targets/target-resolver.js';
import { errorResponses, FreeObject, IdParams, StringEnum } from '../schemas/common.js';
import { requireCalls } from './call-control.js';

const TransferBody = Type.Object(
  {
    target: Type.String({
      minLength: 1,
      maxLength: 500,
      format: 'transfer-target',
      description:
        "+E164, sip:URI, user:<name>, line:<name>, ring_group:<name>, or one of the agent's targets",
    }),
    mode: Type.Optional(
      StringEnum(['cold', 'warm'], {
        description:
          'cold (default): REFER, bridged if REFER fails; warm: the agent stays until the target answers',
      }),
    ),
    ring_timeout_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 120000 })),
    disposition: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Call disposition set before the hand-off' }),
    ),
  },
  { additionalProperties: false },
);

const TransferResult = Type.Object({
  ok: Type.Boolean({ description: 'The call was handed to the target' }),
  outcome: Type.Optional(FreeObject),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

/**
 * Controls of a live call from outside it (the dashboard, an operator's tool): hang up, transfer. The
 * transfer is the agent's own `transfer` command (the cold- or warm-transfer type, recorded as an action
 * run), so it follows the same rules and leaves the same history.
 */
export function callHangupTransferRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Params: { id: string } }>(
    '/calls/:id/hangup',
    {
      schema: {
        tags: ['calls'],
        summary: 'Hang up a live call (BYE; a call out still ringing is cancelled)',
        description:
          '202 once the BYE (or CANCEL) is sent; the call ends as the stream and GET /calls/{id} then show. ' +
          '409 PRECONDITION for a call that has ended, or a call in that is still ringing.',
        params: IdParams,
        response: {
          202: Type.Object({ call_id: Type.String(), state: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => reply.code(202).send(await requireCalls(deps).hangup(req.params.id)),
  );

  app.post<{ Params: { id: string }; Body: Static<typeof TransferBody> }>(
    '/calls/:id/transfer',
    {
      schema: {
        tags: ['calls'],
        summary: 'Transfer a live, answered call to a person, number or group',
        description:
          'Answers when the transfer is over: ok true with its outcome when the call was handed off, ' +
          'ok false with the outcome or error when it failed (the caller stays with the agent). ' +
          '409 PRECONDITION for a call that is not answered.',
        params: IdParams,
        body: TransferBody,
        response: { 200: TransferResult, ...errorResponses },
      },
    },
    async (req) => {
      const calls = requireCalls(deps);
      const call = await deps.store.calls.require(req.params.id);
      const { target, mode, ...config } = req.body;
      // A target that names nobody is the request's fault: 400 naming body.target, before anything rings.
      try {
        await resolveTarget(deps.store, target, { agentId: call.agent_id ?? '', field: 'body.target' });
      } catch (err) {
        if (err instanceof CallwrightError && err.code !== 'VALIDATION')
          throw new CallwrightError('VALIDATION', err.message, [
            { field: 'body.target', value: target, expected: 'a person, line, group or number that exists' },
          ]);
        throw err;
      }
      return await calls.transfer(call.id, target, { ...config, ...(mode ? { mode } : {}) });
    },
  );
}

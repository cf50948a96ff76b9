import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { OutboundRequest } from '../../calls/call-manager.js';
import type { FlowCommandResult } from '../../calls/call-session.js';
import type { TransferOutcome } from '../../agent/agent.js';
import { callHangupTransferRoutes } from './call-hangup-transfer.js';
import type { TranscriptLine } from '../../speech/speech-recognizer.js';
import { CallwrightError } from '../../errors.js';
import { errorResponses, IdParams } from '../schemas/common.js';

/** What the call routes need from the call layer (the CallManager). */
export interface CallControl {
  placeCall(req: OutboundRequest): Promise<{ call_id: string; state: string }>;
  transcript(callId: string, line: TranscriptLine): void | Promise<void>;
  hangup(callId: string): Promise<{ call_id: string; state: string }>;
  transfer(
    callId: string,
    target: string,
    options: Record<string, unknown>,
  ): Promise<FlowCommandResult<TransferOutcome>>;
}

declare module '../app.js' {
  interface ApiDeps {
    /** The live call layer; absent when no telephony runs (the call routes then answer 503). */
    calls?: CallControl;
  }
}

const Line = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 4000 }),
    speaker: Type.Optional(
      Type.Union([Type.Literal('caller'), Type.Literal('agent')], { default: 'caller' }),
    ),
    final: Type.Optional(
      Type.Boolean({ default: true, description: 'Only final lines fire intent triggers' }),
    ),
  },
  { additionalProperties: false },
);
const TranscriptBody = Type.Union([
  Line,
  Type.Object({ lines: Type.Array(Line, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
]);

export function requireCalls(deps: ApiDeps): CallControl {
  if (!deps.calls)
    throw new CallwrightError('UNAVAILABLE', 'calls: no telephony backend runs in this process');
  return deps.calls;
}

/**
 * POST /calls/:id/transcript: feeds transcript lines into a live call, the way a speech recogniser
 * will, so intent-phrase triggers and speech gathers work before recognition providers exist.
 */
export async function callControlRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post<{ Params: { id: string }; Body: Static<typeof TranscriptBody> }>(
    '/calls/:id/transcript',
    {
      schema: {
        tags: ['calls'],
        summary: 'Inject transcript lines into a live call (intent triggers, speech gathers, the agent)',
        params: IdParams,
        body: TranscriptBody,
        response: { 202: Type.Object({ accepted: Type.Integer() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const calls = requireCalls(deps);
      const lines = 'lines' in req.body ? req.body.lines : [req.body];
      for (const l of lines)
        await calls.transcript(req.params.id, {
          text: l.text,
          speaker: l.speaker ?? 'caller',
          final: l.final ?? true,
        });
      return reply.code(202).send({ accepted: lines.length });
    },
  );
  callHangupTransferRoutes(app, deps);
}

import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { requireCaller } from '../auth.js';
import { CallwrightError } from '../../errors.js';
import { errorResponses, IdParams } from '../schemas/common.js';
import type { RecordingLinks } from '../../calls/recording/recording-links.js';
import type { RecordingStorage } from '../../calls/recording/recording-storage.js';

/** What the recording route needs: where recordings are stored and how links are signed. */
export interface RecordingAccess {
  storage: Pick<RecordingStorage, 'open'>;
  links: Pick<RecordingLinks, 'check'>;
}

declare module '../app.js' {
  interface ApiDeps {
    /** Whole-call recordings (storage and signed links); absent = GET /calls/:id/recording answers 503. */
    recording?: RecordingAccess;
  }
}

/** `/calls/<id>/recording?…sig=…`: a signed link, let through the key guard to check its own signature. */
export function isSignedRecordingRequest(url: string): boolean {
  const [p = '', query = ''] = url.split('?');
  return /^\/calls\/[^/]+\/recording$/.test(p) && new URLSearchParams(query).has('sig');
}

const Query = Type.Object(
  {
    expires: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,12}$', description: 'Signed link: Unix seconds' }),
    ),
    sig: Type.Optional(Type.String({ maxLength: 200, description: 'Signed link: HMAC-SHA256, base64url' })),
  },
  { additionalProperties: false },
);

const STATUS_TEXT: Record<string, string> = {
  recording: 'is still being recorded',
  uploading: 'is being stored; try again shortly',
  failed: 'could not be stored',
  deleted: 'was deleted by the retention policy',
};

/**
 * GET /calls/:id/recording: the call's two-channel WAV, streamed from the local folder or the bucket.
 * With the admin key (or a dashboard session), or with a signed link's `expires` and `sig` (docs/recording.md) and no key.
 * 404 names why there is none (never recorded, still being stored, deleted by retention).
 */
export async function callRecordingRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { expires?: string; sig?: string } }>(
    '/calls/:id/recording',
    {
      schema: {
        tags: ['calls'],
        summary: "The call's whole-call recording (audio/wav, two channels: caller left, agent right)",
        params: IdParams,
        querystring: Query,
        response: errorResponses,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const access = deps.recording;
      if (req.query.sig !== undefined) {
        const refusal = access
          ? access.links.check(id, req.query.expires, req.query.sig)
          : 'recording links are not configured';
        if (refusal) throw new CallwrightError('UNAUTHORIZED', `recording link refused: ${refusal}`);
      } else await requireCaller(req, deps.store);
      const call = await deps.store.calls.require(id);
      if (!access)
        throw new CallwrightError('UNAVAILABLE', 'recording: no recording storage in this process');
      const status = call.recording_status;
      if (!call.recording_path || status !== 'ready') {
        const why = status ? (STATUS_TEXT[status] ?? `is ${status}`) : 'was not recorded';
        throw new CallwrightError('NOT_FOUND', `call ${id} has no recording: it ${why}`, [
          { field: 'recording_status', value: status ?? null, expected: 'ready' },
        ]);
      }
      const stored = await access.storage.open(call.recording_path);
      if (!stored)
        throw new CallwrightError('NOT_FOUND', `call ${id} has no recording: the stored file is missing`);
      void reply.type('audio/wav').header('content-disposition', `attachment; filename="${id}.wav"`);
      if (stored.size !== undefined) void reply.header('content-length', stored.size);
      return reply.send(stored.body);
    },
  );
}

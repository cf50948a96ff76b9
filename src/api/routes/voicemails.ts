import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { CallwrightError } from '../../errors.js';
import { errorResponses, Id, IdParams, listQuery, Nullable, pageOf, Timestamp } from '../schemas/common.js';
import { voicemailsOf, type VoicemailRecord } from '../../calls/voicemail/voicemail-repository.js';

const Voicemail = Type.Object({
  id: Id,
  call_id: Nullable(Type.String()),
  agent_id: Nullable(Type.String()),
  from_number: Type.String(),
  to_number: Type.String(),
  duration_ms: Type.Integer(),
  transcript: Nullable(Type.String()),
  notified_at: Nullable(Timestamp),
  created_at: Timestamp,
  recording_url: Type.String({ description: 'Path of the WAV on this API (API key required)' }),
});

const VoicemailFilters = { call_id: Type.Optional(Id), agent_id: Type.Optional(Id) };

function view(v: VoicemailRecord): VoicemailRecord & { recording_url: string } {
  return { ...v, recording_url: `/voicemails/${v.id}/recording` };
}

/** Voicemails (newest first), one at a time, and each recording as audio/wav. */
export async function voicemailRoutes(app: FastifyInstance, { store, config }: ApiDeps): Promise<void> {
  const repo = voicemailsOf(store.sql);
  const dataDir = path.resolve(config.data.dir);

  app.get<{ Querystring: { limit: number; offset: number; call_id?: string; agent_id?: string } }>(
    '/voicemails',
    {
      schema: {
        tags: ['voicemails'],
        summary: 'List voicemails, newest first, a page at a time',
        querystring: listQuery(VoicemailFilters),
        response: { 200: pageOf(Voicemail), ...errorResponses },
      },
    },
    async (req) => {
      const { limit, offset, ...filters } = req.query;
      const page = await repo.list({ limit, offset }, filters);
      return { ...page, items: page.items.map(view) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/voicemails/:id',
    {
      schema: {
        tags: ['voicemails'],
        summary: 'One voicemail',
        params: IdParams,
        response: { 200: Voicemail, ...errorResponses },
      },
    },
    async (req) => view(await repo.require(req.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/voicemails/:id/recording',
    {
      schema: {
        tags: ['voicemails'],
        summary: "A voicemail's recording (audio/wav)",
        params: IdParams,
        response: errorResponses,
      },
    },
    async (req, reply) => {
      const vm = await repo.require(req.params.id);
      const file = path.resolve(vm.recording_path);
      // Only files under data.dir are served, whatever a row says.
      if (!file.startsWith(dataDir + path.sep)) {
        throw new CallwrightError(
          'NOT_FOUND',
          `the recording of voicemail ${vm.id} is not in the data folder`,
        );
      }
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new CallwrightError('NOT_FOUND', `the recording of voicemail ${vm.id} is missing`);
      }
      return reply
        .type('audio/wav')
        .header('content-length', size)
        .header('content-disposition', `attachment; filename="${vm.id}.wav"`)
        .send(createReadStream(file));
    },
  );
}

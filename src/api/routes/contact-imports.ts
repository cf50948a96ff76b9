import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { ImportJobs } from '../../contacts/import-jobs.js';
import { notFound } from '../../errors.js';
import { isPhoneCountry, PHONE_COUNTRY_EXPECTED } from '../../util/phone-number.js';
import { invalid } from './crud.js';
import { errorResponses, Nullable } from '../schemas/common.js';

const ImportQuery = Type.Object(
  {
    country: Type.Optional(
      Type.String({
        description: 'ISO 3166-1 alpha-2 country of national numbers (default: contacts.default_country)',
      }),
    ),
    calling_code: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,2}$',
        description: 'Country calling code of national numbers, e.g. 44',
      }),
    ),
  },
  { additionalProperties: false },
);
const CsvBody = Type.String({
  minLength: 1,
  description: 'The CSV file: a header row (phone, first_name, last_name, email, timezone, tags, lists, …)',
});
const Issue = Type.Object({
  field: Type.String(),
  value: Type.Optional(Type.Unknown()),
  expected: Type.String(),
});
const ImportJob = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  rows: Type.Integer({ description: 'data rows read so far' }),
  bytes: Type.Integer({ description: 'bytes of data rows read so far' }),
  total_bytes: Type.Integer({ description: 'bytes of data rows in the file' }),
  started_at: Type.String(),
  finished_at: Nullable(Type.String()),
  summary: Nullable(
    Type.Object({
      imported: Type.Integer(),
      updated: Type.Integer(),
      unchanged: Type.Integer(),
      rejected: Type.Array(Type.Object({ line: Type.Integer(), issues: Type.Array(Issue) })),
    }),
  ),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), issues: Type.Array(Issue) })),
});

/**
 * CSV import over the API: `POST /contacts/imports` (body `text/csv`) starts a job and answers 202 at once;
 * `GET /contacts/imports/{id}` gives its progress, then its counts and rejected rows.
 */
export function contactImportRoutes(app: FastifyInstance, { store, config }: ApiDeps): void {
  const jobs = new ImportJobs(store);
  const tags = ['contacts'];
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post(
    '/contacts/imports',
    {
      schema: {
        tags,
        summary:
          'Import contacts from CSV (Content-Type: text/csv) as a background job; poll it for progress',
        consumes: ['text/csv'],
        querystring: ImportQuery,
        body: CsvBody,
        response: { 202: ImportJob, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query as { country?: string; calling_code?: string };
      if (q.country !== undefined && !isPhoneCountry(q.country))
        throw invalid([{ field: 'query.country', value: q.country, expected: PHONE_COUNTRY_EXPECTED }]);
      // An explicit calling code names the numbering plan itself; otherwise the country (query, then config).
      const country = q.calling_code ? undefined : q.country || config.contacts.default_country;
      const job = await jobs.start(Buffer.from(req.body as string, 'utf8'), {
        ...(q.calling_code ? { callingCode: q.calling_code } : {}),
        ...(country ? { defaultCountry: country } : {}),
      });
      return reply.code(202).header('location', `/contacts/imports/${job.id}`).send(job);
    },
  );
  app.get(
    '/contacts/imports/:id',
    {
      schema: {
        tags,
        summary: 'A CSV import: progress while it runs, then its counts and each rejected row',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: ImportJob, ...errorResponses },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      return (
        jobs.get(id) ??
        (() => {
          throw notFound('contact import', id);
        })()
      );
    },
  );
}

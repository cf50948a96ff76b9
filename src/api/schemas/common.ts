import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';

/** Schemas every resource shares: paging, ids, timestamps and the error body. */

export const Timestamp = Type.String({ description: 'ISO 8601 UTC timestamp' });
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const IdParams = Type.Object({ id: Id });
export const E164 = Type.String({
  format: 'e164',
  description: 'Phone number in E.164 form, valid in its numbering plan',
  examples: ['+14155550100'],
});
/**
 * A phone number as people write it: E.164, or a national number of `contacts.default_country`. The route
 * turns it into E.164 with the same rule as the CSV import (`phoneIssues` in routes/field-checks.ts).
 */
export const PhoneInput = Type.String({
  minLength: 1,
  maxLength: 40,
  description: '+ and country code, or a national number of the configured contacts.default_country',
  examples: ['+14155550100', '020 7183 8750'],
});
export const SipUri = Type.String({ format: 'sip-uri', examples: ['sip:alice@pbx.example.com'] });
export const Name = Type.String({ minLength: 1, maxLength: 100 });
export const Text = Type.String({ maxLength: 2000 });
export const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  format: 'time-zone',
  description: 'IANA time zone name',
  examples: ['Europe/Paris', 'UTC'],
});
/** A JSON object whose keys the owning component defines. */
export const FreeObject = Type.Object({}, { additionalProperties: true });
export const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

/** A string enum as a plain JSON Schema `enum`, so a bad value gets one issue listing every choice. */
export function StringEnum<const V extends string[]>(values: V, options: { description?: string } = {}) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: values, ...options });
}

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size' }),
  offset: Type.Integer({ minimum: 0, default: 0, description: 'items to skip' }),
};

/** The query string of a list endpoint: paging plus the resource's own filters; unknown keys refused. */
export function listQuery(filters: TProperties = {}): TObject {
  return Type.Object({ ...PageQuery, ...filters }, { additionalProperties: false });
}

export function pageOf(item: TSchema): TObject {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer({ description: 'items matching, over all pages' }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

export const ErrorBody = Type.Object(
  {
    code: Type.String({ examples: ['VALIDATION'] }),
    message: Type.String(),
    issues: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ examples: ['body.phone'] }),
          value: Type.Optional(Type.Unknown()),
          expected: Type.String(),
        }),
      ),
    ),
  },
  { description: 'Error from the catalog: a stable code, a message and, for input errors, each bad field' },
);

/** Error responses every authenticated route can give. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

import { Type } from '@sinclair/typebox';
import { FreeObject, Id, Nullable, PhoneInput, TimeZone, Timestamp } from './common.js';
import { TagName } from './catalog.js';

/**
 * Contacts. `tags` (names, created on first use) and `lists` (list ids) in a create or update body replace
 * the contact's whole set; `PUT|DELETE /contacts/{id}/tags/{name}` and `/contacts/{id}/lists/{listId}` change
 * one membership. The Do-Not-Call mark is set with `PUT /contacts/{id}/dnc` so who, when and why are recorded.
 */
const contactFields = {
  phone: PhoneInput,
  first_name: Type.Optional(Type.String({ maxLength: 100 })),
  last_name: Type.Optional(Type.String({ maxLength: 100 })),
  email: Type.Optional(Type.String({ format: 'email' })),
  timezone: Type.Optional(TimeZone),
  properties: Type.Optional(FreeObject),
  disposition: Type.Optional(
    Nullable(Type.String({ minLength: 1, description: 'code of a contact-scope disposition' })),
  ),
  sms_opt_out: Type.Optional(Type.Boolean()),
  tags: Type.Optional(Type.Array(TagName, { maxItems: 200, description: 'tag names; replaces the set' })),
  lists: Type.Optional(Type.Array(Id, { maxItems: 200, description: 'list ids; replaces the memberships' })),
};

export const ContactCreate = Type.Object(contactFields, { additionalProperties: false });
export const ContactUpdate = Type.Partial(ContactCreate);

export const Contact = Type.Object({
  id: Id,
  phone: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String(),
  timezone: Type.String(),
  properties: FreeObject,
  disposition: Nullable(Type.String()),
  sms_opt_out: Type.Boolean(),
  dnc: Type.Boolean(),
  dnc_at: Nullable(Timestamp),
  dnc_by: Nullable(Type.String()),
  dnc_reason: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  lists: Type.Array(Type.Object({ id: Id, name: Type.String() })),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/**
 * No exact phone filter on purpose: request URLs are logged, and phone numbers must not reach the logs
 * (find a contact by number in-process with `ContactRepository.findByPhone`). `q` is a search; the log
 * never shows its value (`q` is one of the query keys src/logging/pii-scrub.ts always hides).
 */
export const ContactFilters = {
  q: Type.Optional(
    Type.String({
      maxLength: 100,
      description: 'text in the name or email, or (3 or more digits) part of the phone number',
    }),
  ),
  tag: Type.Optional(Type.String({ description: 'tag name' })),
  list: Type.Optional(Type.String({ description: 'list id' })),
  dnc: Type.Optional(Type.Boolean()),
};

export const DncBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'why the number must not be called' }),
    by: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'who asked; default: the API key' }),
    ),
  },
  { additionalProperties: false },
);

export const TagParams = Type.Object({ id: Id, name: TagName });
export const ListParams = Type.Object({ id: Id, listId: Id });

export const DncHistory = Type.Object({
  items: Type.Array(
    Type.Object({
      change: Type.Union([Type.Literal('set'), Type.Literal('clear')]),
      by: Type.String(),
      reason: Type.String({ description: 'empty when a clear gave none' }),
      at: Timestamp,
    }),
  ),
});

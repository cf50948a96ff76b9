import { Type } from '@sinclair/typebox';
import { Id, Name, StringEnum, Text, Timestamp } from './common.js';

/** Lists, tags and dispositions: small named catalogues contacts and calls refer to. */

export const TagName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\s,][^,]*$' });

export const ListCreate = Type.Object(
  { name: Name, description: Type.Optional(Text) },
  { additionalProperties: false },
);
export const ListUpdate = Type.Partial(ListCreate);
export const List = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  created_at: Timestamp,
});

export const TagCreate = Type.Object({ name: TagName }, { additionalProperties: false });
export const TagUpdate = Type.Partial(TagCreate);
export const Tag = Type.Object({ id: Id, name: Type.String(), created_at: Timestamp });

export const DispositionScope = StringEnum(['call', 'contact']);
export const DispositionCreate = Type.Object(
  {
    scope: DispositionScope,
    code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    label: Name,
    description: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export const DispositionUpdate = Type.Partial(DispositionCreate);
export const Disposition = Type.Object({
  id: Id,
  scope: Type.String(),
  code: Type.String(),
  label: Type.String(),
  description: Type.String(),
  created_at: Timestamp,
});

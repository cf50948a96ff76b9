import { Type } from '@sinclair/typebox';
import {
  E164,
  FreeObject,
  Id,
  Name,
  Nullable,
  SipUri,
  StringEnum,
  Text,
  TimeZone,
  Timestamp,
} from './common.js';

/** People and places calls are transferred to: users, ring groups, lines; and the numbers agents answer. */

const HHMM = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', examples: ['09:00'] });
const Interval = Type.Object({ start: HHMM, end: HHMM }, { additionalProperties: false });
const Day = Type.Optional(Type.Array(Interval, { maxItems: 12 }));

/** Working hours per weekday in the user's time zone; a day left out is not worked. */
export const WorkingHours = Type.Object(
  { mon: Day, tue: Day, wed: Day, thu: Day, fri: Day, sat: Day, sun: Day },
  { additionalProperties: false },
);

export const UserCreate = Type.Object(
  {
    name: Name,
    email: Type.Optional(Type.String({ format: 'email' })),
    phone: Type.Optional(E164),
    sip_uri: Type.Optional(SipUri),
    timezone: Type.Optional(TimeZone),
    working_hours: Type.Optional(WorkingHours),
    slot_minutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 480 })),
  },
  { additionalProperties: false },
);
export const UserUpdate = Type.Partial(UserCreate);
export const User = Type.Object({
  id: Id,
  name: Type.String(),
  email: Type.String(),
  phone: Type.String(),
  sip_uri: Type.String(),
  timezone: Type.String(),
  working_hours: FreeObject,
  slot_minutes: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const MemberTimeout = Type.Integer({ minimum: 1, maximum: 300, description: 'seconds a member rings' });
export const RingGroupMemberInput = Type.Object(
  { user_id: Id, timeout_secs: Type.Optional(MemberTimeout) },
  { additionalProperties: false },
);
export const RingGroupCreate = Type.Object(
  {
    name: Name,
    strategy: StringEnum(['simultaneous', 'sequential']),
    member_timeout_secs: Type.Optional(MemberTimeout),
    members: Type.Optional(
      Type.Array(RingGroupMemberInput, { maxItems: 100, description: 'users in ring order' }),
    ),
  },
  { additionalProperties: false },
);
export const RingGroupUpdate = Type.Partial(RingGroupCreate);
export const RingGroup = Type.Object({
  id: Id,
  name: Type.String(),
  strategy: Type.String(),
  member_timeout_secs: Type.Integer(),
  members: Type.Array(
    Type.Object({ user_id: Id, position: Type.Integer(), timeout_secs: Nullable(Type.Integer()) }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const LineCreate = Type.Object(
  {
    name: Name,
    target: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'E.164 number or SIP URI',
      examples: ['+14155550100', 'sip:desk@pbx.example.com'],
    }),
    description: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export const LineUpdate = Type.Partial(LineCreate);
export const Line = Type.Object({
  id: Id,
  name: Type.String(),
  target: Type.String(),
  description: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const NumberCreate = Type.Object(
  {
    number: E164,
    agent_id: Id,
    description: Type.Optional(Text),
    record: Type.Optional(
      StringEnum(['agent', 'always', 'never'], {
        description:
          "Whole-call recording of calls to this number: the agent's setting (default), always, never",
      }),
    ),
  },
  { additionalProperties: false },
);
export const NumberUpdate = Type.Partial(NumberCreate);
export const PhoneNumber = Type.Object({
  id: Id,
  number: Type.String(),
  agent_id: Type.String(),
  description: Type.String(),
  record: Type.String(),
  created_at: Timestamp,
});

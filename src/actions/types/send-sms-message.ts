import { Type } from '@sinclair/typebox';
import type { ActionContext, ActionOutputs, AnyActionType } from '../action-type.js';
import { defineActionType } from '../action-type.js';
import { smsOf } from '../../integrations/integration-services.js';
import type { MessageChannel } from '../../integrations/sms/sms-provider.js';

/** Config shared by send-sms and send-whatsapp. */
export const SendMessageConfig = Type.Object(
  {
    to: Type.String({
      default: '{{ call.remote }}',
      maxLength: 200,
      format: 'phone-template',
      description: 'Template of the E.164 recipient',
    }),
    body: Type.String({ minLength: 1, maxLength: 1600, description: 'Template of the message text' }),
    provider: Type.Optional(Type.Union([Type.Literal('twilio'), Type.Literal('http')])),
    from: Type.Optional(
      Type.String({ maxLength: 200, description: 'Sender; default from the provider config' }),
    ),
  },
  { additionalProperties: false },
);
type Config = typeof SendMessageConfig.static;

async function send(ctx: ActionContext<Config>, channel: MessageChannel): Promise<ActionOutputs> {
  const { message, duplicate } = await smsOf(ctx.services).send({
    channel,
    to: ctx.config.to,
    body: ctx.config.body,
    provider: ctx.config.provider,
    from: ctx.config.from,
    callId: ctx.callId,
    contactId: ctx.contactId,
    signal: ctx.signal,
  });
  return {
    message_id: message.id,
    provider: message.provider,
    provider_id: message.provider_id,
    status: message.status,
    ...(duplicate ? { duplicate: true } : {}),
  };
}

/** One action type per channel, same config: refused for DNC numbers and for numbers that replied STOP. */
export function messageActionType(channel: MessageChannel): AnyActionType {
  const label = channel === 'sms' ? 'SMS' : 'WhatsApp';
  return defineActionType({
    name: channel === 'sms' ? 'send-sms' : 'send-whatsapp',
    title: `Send ${label}`,
    description: `Sends a ${label} message (templated) to the caller or another number.`,
    configSchema: SendMessageConfig,
    stages: ['before', 'during', 'after'],
    exec: (ctx) => send(ctx, channel),
    simulate: (ctx) => ({
      message_id: 'msg_simulated',
      provider: ctx.config.provider ?? 'default',
      status: 'simulated',
    }),
  });
}

import {
  startChatServer,
  type RecordedRequest,
  type ReplySpec,
} from '../../helpers/llm-providers/openai-chat-server.js';

/** A small restaurant agent (scripted) the caller-simulation tests talk to. */
export const BELLA_AGENT = `
agent:
  name: bella
  kind: scripted
  description: Books tables and tells the opening hours
  config:
    steps:
      - say: Thanks for calling Bella's.
      - id: menu
        gather: { input: speech, prompt: Would you like to book a table or hear our opening hours? }
      - branch:
          - { intent: [book, table, reservation], goto: book }
          - { intent: [hours, open], goto: hours }
          - { no_input: true, goto: bye }
          - { default: true, goto: sorry }
      - id: sorry
        say: Sorry, I can only book tables or tell you our opening hours.
      - goto: menu
      - id: book
        action: { name: record_outcome, args: { disposition: booked } }
      - say: Your table is booked for tonight at seven.
      - goto: more
      - id: hours
        say: We are open from noon to ten every day.
      - id: more
        gather: { input: speech, prompt: Is there anything else? }
      - branch:
          - { intent: [no, "that's all"], goto: bye }
          - { default: true, goto: menu }
      - id: bye
        hangup: { say: Thank you for calling Bella's. Goodbye. }
actions:
  - name: record_outcome
    type: call-disposition
    description: Records how the call went
    config: { allowed: [booked, hours] }
attachments:
  - { action: record_outcome, stage: during, triggers: [{ kind: tool }] }
`;

/** The judge's forced tool call, as the model double answers it. */
export function verdict(...criteria: Array<[name: string, passed: boolean, reason: string]>): ReplySpec {
  return {
    toolCalls: [
      {
        name: 'record_evaluation',
        arguments: { criteria: criteria.map(([name, passed, reason]) => ({ name, passed, reason })) },
      },
    ],
  };
}

/**
 * The chat-completions wire double answering each request with the next queued reply, in the order the
 * simulated calls ask (caller turns, then the judge); a request with nothing queued gets a 500.
 */
export async function queuedModel(): Promise<{
  baseUrl: string;
  seen: RecordedRequest[];
  reply: (...replies: ReplySpec[]) => void;
  close: () => Promise<void>;
}> {
  const queue: ReplySpec[] = [];
  const server = await startChatServer({
    reply: () => queue.shift() ?? { error: { status: 500, message: 'no reply queued' } },
  });
  return {
    baseUrl: server.url,
    seen: server.requests,
    reply: (...replies) => queue.push(...replies),
    close: () => server.close(),
  };
}

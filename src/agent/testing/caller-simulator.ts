import type { ChatClient, ChatMessage } from '../../integrations/llm/chat-client.js';

/** What the simulated caller does on its turn: says a line, hangs up, or both (a goodbye, then hangs up). */
export interface CallerTurn {
  /** The line the caller says (empty when it only hangs up or stays silent). */
  text: string;
  hangup: boolean;
}

export interface CallerPersona {
  persona: string;
  goal: string;
}

/** The word the caller's model says to end the call. */
export const HANGUP_MARK = '[hangup]';

/** What the caller's model hears when the agent said nothing on its turn. */
export const SILENCE = '(silence)';

/**
 * A caller played by a chat model: the system prompt holds who the caller is and what they want; the
 * agent's lines arrive as `user` messages and the caller's own earlier lines are its `assistant`
 * messages, so the model keeps the whole call in view. One request per caller turn.
 */
export class CallerSimulator {
  private readonly messages: ChatMessage[];

  constructor(
    private readonly client: ChatClient,
    caller: CallerPersona,
  ) {
    this.messages = [{ role: 'system', content: callerPrompt(caller) }];
  }

  /** The caller's answer to what the agent just said (its lines this turn, in order; none = silence). */
  async reply(agentLines: readonly string[], signal?: AbortSignal): Promise<CallerTurn> {
    const heard = agentLines.map((l) => l.trim()).filter(Boolean);
    this.messages.push({ role: 'user', content: heard.length ? heard.join('\n') : SILENCE });
    const answer = await this.client.complete({ messages: this.messages, maxTokens: 200, signal });
    const turn = parseCallerLine(answer.content);
    this.messages.push({
      role: 'assistant',
      content: [turn.text, turn.hangup ? HANGUP_MARK : ''].filter(Boolean).join(' ') || SILENCE,
    });
    return turn;
  }
}

export function callerPrompt(c: CallerPersona): string {
  return [
    "You are a caller on a phone call with a company's voice agent. Stay in character; never say you are an AI.",
    `Who you are and how you talk: ${c.persona.trim()}`,
    `What you want from this call: ${c.goal.trim()}`,
    "The agent's words come to you as messages. Answer with exactly what you say next, one short spoken turn:",
    'no stage directions, no quotes, no speaker name.',
    `${SILENCE} means the agent said nothing.`,
    `When the call is done (your goal is met, or you give up), say exactly ${HANGUP_MARK}, after a goodbye if you like.`,
  ].join('\n');
}

/**
 * The caller's line out of the model's text: a `Caller:` prefix and wrapping quotes dropped; `[hangup]`
 * anywhere ends the call after the words before it.
 */
export function parseCallerLine(content: string): CallerTurn {
  const at = content.toLowerCase().indexOf(HANGUP_MARK);
  const said = at >= 0 ? content.slice(0, at) : content;
  const text = said
    .trim()
    .replace(/^(caller|me|you)\s*:\s*/i, '')
    .replace(/^["“](.*)["”]$/s, '$1')
    .trim();
  return { text: text === SILENCE ? '' : text, hangup: at >= 0 };
}

import type { LlmSettings } from '../../config/schema.js';
import { CallwrightError } from '../../errors.js';
import { OpenAiChatClient, type ChatClient } from './chat-client.js';
import { createSummarizer, type Summarizer } from './summarizer.js';

/**
 * The `llm` and `summarizer` entries of the action services bag, from the `llm` config section.
 * Compose with: `createActionEngine({ …, services: { ...createLlmServices(config.llm), … } })`.
 * With no base_url there is no `llm`, and the summarizer is extractive.
 */
export function createLlmServices(
  settings: LlmSettings,
  fetchFn?: typeof fetch,
): { llm?: ChatClient; summarizer: Summarizer } {
  if (!settings.base_url) return { summarizer: createSummarizer() };
  if (!settings.model) {
    throw new CallwrightError(
      'CONFIG_INVALID',
      'llm.model: missing, expected a model name when llm.base_url is set',
      [{ field: 'llm.model', value: settings.model, expected: 'a model name such as gpt-4o-mini' }],
    );
  }
  const llm = new OpenAiChatClient(settings, fetchFn);
  return { llm, summarizer: createSummarizer(llm) };
}

/** The summarizer composed in, else one over the chat client (or extractive when there is none). */
export function summarizerOf(services: { summarizer?: Summarizer; llm?: ChatClient }): Summarizer {
  return services.summarizer ?? createSummarizer(services.llm);
}

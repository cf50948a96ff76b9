import { describe, expect, it } from 'vitest';
import { sendWithRetry } from '../../../../src/calls/voicemail/voicemail-email.js';
import type { Mailer, MailMessage, SentMail } from '../../../../src/integrations/mail/mailer.js';

const MESSAGE: MailMessage = { to: ['desk@example.com'], subject: 'Voicemail', text: 'hello' };

/** A mailer that fails the first `failures` sends, then accepts. */
function flakyMailer(failures: number, onSend: (n: number) => void = () => undefined) {
  let sends = 0;
  const mailer: Mailer = {
    enabled: true,
    close: () => undefined,
    async send(): Promise<SentMail> {
      sends++;
      onSend(sends);
      if (sends <= failures) throw new Error(`relay down (${sends})`);
      return { messageId: '<m1@test>', accepted: ['desk@example.com'], rejected: [] };
    },
  };
  return { mailer, sends: () => sends };
}

describe('sendWithRetry', () => {
  it('retries until the relay accepts and reports the attempts', async () => {
    const { mailer, sends } = flakyMailer(2);
    const result = await sendWithRetry(mailer, MESSAGE, { attempts: 3, backoffMs: 1 });
    expect(result).toMatchObject({ attempts: 3, sent: { messageId: '<m1@test>' } });
    expect(sends()).toBe(3);
  });

  it('throws the last error when every attempt fails', async () => {
    const { mailer, sends } = flakyMailer(5);
    await expect(sendWithRetry(mailer, MESSAGE, { attempts: 2, backoffMs: 1 })).rejects.toThrow(
      'relay down (2)',
    );
    expect(sends()).toBe(2);
  });

  it('an aborted run stops waiting between attempts and sends no more', async () => {
    const controller = new AbortController();
    // The first failure aborts the run; with a minute's backoff only the abort can end the wait.
    const { mailer, sends } = flakyMailer(5, () => controller.abort());
    await expect(
      sendWithRetry(mailer, MESSAGE, { attempts: 5, backoffMs: 60_000, signal: controller.signal }),
    ).rejects.toThrow('relay down (1)');
    expect(sends()).toBe(1);
  });
});

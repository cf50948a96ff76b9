import nodemailer, { type Transporter } from 'nodemailer';
import type { MailSettings } from '../../config/schema.js';
import { CallwrightError } from '../../errors.js';

export interface MailAttachment {
  filename: string;
  /** A file path to read, or the content itself. */
  path?: string;
  content?: string | Buffer;
  contentType?: string;
}

export interface MailMessage {
  to: string | string[];
  cc?: string | string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
  /** Extra headers, e.g. an idempotency reference. */
  headers?: Record<string, string>;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/** Sends mail; the SMTP implementation is `SmtpMailer`, tests and other transports implement the same. */
export interface Mailer {
  readonly enabled: boolean;
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

/** nodemailer over SMTP, configured by the `mail` config section. */
export class SmtpMailer implements Mailer {
  private transporter?: Transporter;

  constructor(private readonly settings: MailSettings) {}

  get enabled(): boolean {
    return Boolean(this.settings.from && this.settings.smtp.host);
  }

  private transport(): Transporter {
    if (!this.enabled) {
      throw new CallwrightError('UNAVAILABLE', 'email is not configured: set mail.from and mail.smtp.host', [
        {
          field: 'mail.smtp.host',
          value: this.settings.smtp.host,
          expected: 'the host name of an SMTP relay',
        },
      ]);
    }
    if (!this.transporter) {
      const { smtp } = this.settings;
      this.transporter = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.require_tls,
        auth: smtp.username ? { user: smtp.username, pass: smtp.password } : undefined,
        connectionTimeout: smtp.timeout_ms,
        greetingTimeout: smtp.timeout_ms,
        socketTimeout: smtp.timeout_ms,
        // Loopback relays in tests and on-premise relays often use self-signed certificates.
        tls: { rejectUnauthorized: smtp.require_tls },
      });
    }
    return this.transporter;
  }

  async send(message: MailMessage): Promise<SentMail> {
    const info = await this.transport().sendMail({
      from: this.settings.from,
      to: message.to,
      cc: message.cc,
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments,
      headers: message.headers,
    });
    return {
      messageId: String(info.messageId ?? ''),
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
    };
  }

  close(): void {
    this.transporter?.close();
    this.transporter = undefined;
  }
}

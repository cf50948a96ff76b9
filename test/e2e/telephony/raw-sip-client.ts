/** A bare UDP socket that sends hand-written SIP text and collects whatever comes back. */
import dgram from 'node:dgram';

export interface RawReply {
  status: number;
  text: string;
}

export class RawSipClient {
  private readonly socket = dgram.createSocket('udp4');
  private replies: RawReply[] = [];
  /** Requests received (when the client plays a UAS), newest last. */
  readonly requests: string[] = [];

  private constructor(readonly address: string) {
    this.socket.on('message', (msg) => {
      const text = msg.toString();
      if (!text.startsWith('SIP/2.0')) this.requests.push(text);
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
      this.replies.push({ status, text });
    });
  }

  static async open(address: string, port: number): Promise<RawSipClient> {
    const c = new RawSipClient(address);
    await new Promise<void>((resolve) => c.socket.bind(port, address, () => resolve()));
    return c;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends `text` (LF or CRLF line ends; LF is converted) and returns the final replies seen within `waitMs`. */
  async send(text: string, target: { host: string; port: number }, waitMs = 400): Promise<RawReply[]> {
    this.replies = [];
    const wire = text.includes('\r\n') ? text : text.replace(/\n/g, '\r\n');
    await new Promise<void>((resolve) => this.socket.send(wire, target.port, target.host, () => resolve()));
    await new Promise((r) => setTimeout(r, waitMs));
    return this.replies.filter((r) => r.status >= 200);
  }

  close(): void {
    this.socket.close();
  }
}

let seq = 0;

/** A well-formed request from this client; `patch` edits the text before sending. */
export function request(
  method: string,
  ruri: string,
  client: RawSipClient,
  options: { headers?: string[]; body?: string; userAgent?: string } = {},
): string {
  seq++;
  const body = options.body ?? '';
  return [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${client.address}:${client.port};branch=z9hG4bK-raw-${process.pid}-${seq};rport`,
    `From: <sip:tester@${client.address}>;tag=raw${seq}`,
    `To: <${ruri}>`,
    `Call-ID: raw-${process.pid}-${seq}@${client.address}`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    `Contact: <sip:tester@${client.address}:${client.port}>`,
    `User-Agent: ${options.userAgent ?? 'raw-test'}`,
    ...(options.headers ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

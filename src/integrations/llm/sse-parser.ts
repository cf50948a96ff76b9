/**
 * An incremental parser of a `text/event-stream` body (WHATWG HTML §9.2.6 "Interpreting an event
 * stream"). Bytes may arrive split anywhere: inside a line, between the CR and LF of a line end, or
 * inside a multi-byte UTF-8 character. Lines end in CRLF, LF or CR; a line starting with `:` is a
 * comment (servers send `: ping` to keep the connection open); a blank line dispatches the event.
 */

export interface SseEvent {
  /** The `event:` field, `message` when the server sent none. */
  event: string;
  /** The `data:` lines joined with LF. */
  data: string;
  id?: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private line = '';
  /** The previous chunk ended in CR: an LF at the start of the next one belongs to that line end. */
  private afterCr = false;
  private started = false;
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  /** Feeds the next bytes; returns the events they completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      // §9.2.6: one leading U+FEFF BOM is ignored.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.afterCr && i === start && this.line === '') {
        // The LF of a CRLF whose CR ended the previous chunk.
        this.afterCr = false;
        start = i + 1;
        continue;
      }
      this.line += text.slice(start, i);
      this.takeLine(this.line, events);
      this.line = '';
      this.afterCr = false;
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.afterCr = true;
        }
      }
      start = i + 1;
    }
    if (start < text.length) {
      this.line += text.slice(start);
      this.afterCr = false;
    }
    return events;
  }

  /**
   * The end of the body. §9.2.6: an event not yet dispatched by a blank line is discarded, so a body
   * cut in the middle of a frame never yields half a frame.
   */
  end(): SseEvent[] {
    this.decoder.decode();
    this.line = '';
    this.data = [];
    this.event = '';
    return [];
  }

  private takeLine(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        const event: SseEvent = { event: this.event || 'message', data: this.data.join('\n') };
        if (this.id !== undefined) event.id = this.id;
        events.push(event);
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // `retry` and unknown fields are ignored: the client does not reconnect a chat completion.
  }
}

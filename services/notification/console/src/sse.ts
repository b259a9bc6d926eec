// A Server-Sent Events parser for a stream read with fetch(): EventSource cannot send the
// `Authorization: Bearer` header the API needs, so the console reads GET /v1/stream itself.
// Follows the WHATWG event-stream rules the API uses: `event:`, `data:` (joined by "\n"), `id:`,
// `retry:`, comments (`:`), and a blank line dispatching the event.

export interface SseEvent {
  event: string; // "message" when the stream named none
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined;
  retryMs: number | undefined;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  /** Feeds one decoded chunk (any size, may split lines anywhere). */
  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) return;
      const sep = this.buffer.startsWith("\r\n", nl) ? 2 : 1;
      // A lone "\r" at the very end may be the first half of "\r\n": wait for more.
      if (sep === 1 && this.buffer[nl] === "\r" && nl === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + sep);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) {
        this.onEvent({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      }
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        this.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }
}

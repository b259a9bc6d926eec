// The HTTP API of docs/api/openapi.yaml, as the console uses it. Same origin as the page.
import { SseParser, type SseEvent } from "./sse";

export type Role = "agent" | "admin";
export type Availability = "available" | "away" | "offline" | "dnd";

export interface Me {
  agent_id: string;
  role: Role;
}

export interface Notification {
  id: string;
  kind: "missed_call" | "text" | "answered_call";
  number: string;
  caller: string;
  rung?: string[];
  visible_to?: string[];
  source?: string;
  tag?: string;
  at_ms: number;
  state: "unclaimed" | "claimed";
  claimed_by?: string;
  claim_action?: string;
  claimed_at_ms?: number;
  can_claim?: boolean; // lists and GET one: whether I may act on it (seed 004)
}

export interface Presence {
  agent_id: string;
  availability: Availability;
  on_call: number;
  ringing: number;
  changed_at_ms?: number;
  idle_since_ms?: number;
  in_working_hours?: boolean;
}

export interface NumberUse {
  number: string;
  source: string;
  tag: string;
  selected_agents: string[];
  cap: number;
  in_use: number;
}

export interface LiveCall {
  call_id: string;
  number: string;
  state: "offered" | "answered" | string;
  answered_by: string;
  offered_at_ms: number;
  caller?: string; // absent from services older than these fields
  rule?: string;
  ringing?: string[];
}

export interface Contact {
  id: string;
  name: string;
  numbers: string[];
  primary_agent: string;
  created_at_ms: number;
  source: string;
  tags: string[];
}

export interface NumberSettings {
  source?: string;
  tag?: string;
  selected_agents?: string[];
}

export interface TextSent {
  notification?: Notification;
  from: string;
  to: string;
  sip_status: number;
}

/** Most pages one list read follows (`next_cursor`): a bound on what one refresh costs. */
export const MAX_LIST_PAGES = 10;

export interface Withdrawal {
  id: string;
  claimed_by: string;
  action: string;
}

/** A refusal from the API: `{"error": code, "message": ..., ...}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class Api {
  constructor(readonly token: string) {}

  private headers(json: boolean): HeadersInit {
    const h: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "network", "The server could not be reached.");
    }
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new ApiError(res.status, "bad_response", `Unexpected answer (HTTP ${res.status}).`);
      }
    }
    if (!res.ok) {
      const code = typeof parsed.error === "string" ? parsed.error : `http_${res.status}`;
      const message = typeof parsed.message === "string" ? parsed.message : `HTTP ${res.status}`;
      throw new ApiError(res.status, code, message, parsed);
    }
    return parsed as T;
  }

  /**
   * A list endpoint read to its end: today's API answers one page; one that pages answers
   * `next_cursor` too, and the next page is `?cursor=<it>`. At most MAX_LIST_PAGES pages.
   */
  async list<T>(path: string, key: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const url = cursor
        ? `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`
        : path;
      const body = await this.call<Record<string, unknown>>("GET", url);
      const items = body[key];
      if (Array.isArray(items)) out.push(...(items as T[]));
      const next = body.next_cursor;
      if (typeof next !== "string" || next === "" || next === cursor) break;
      cursor = next;
    }
    return out;
  }

  me() {
    return this.call<Me>("GET", "/v1/me");
  }
  notifications() {
    return this.list<Notification>("/v1/notifications", "notifications");
  }
  records() {
    return this.list<Notification>("/v1/records", "records");
  }
  textBack(id: string, text: string, from: "personal" | "company") {
    return this.call<TextSent>("POST", `/v1/notifications/${encodeURIComponent(id)}/text`, { text, from });
  }
  createContact(id: string, name: string) {
    const path = `/v1/notifications/${encodeURIComponent(id)}/contact`;
    return this.call<{ contact: Contact; notification: Notification }>("POST", path, { name });
  }
  associate(id: string, contactId: string) {
    const path = `/v1/notifications/${encodeURIComponent(id)}/associate`;
    return this.call<{ contact: Contact; notification: Notification }>("POST", path, {
      contact_id: contactId,
    });
  }
  /** The contacts the caller may associate a caller with (their own; an admin's: all). */
  async myContacts(q: string) {
    const path = `/v1/me/contacts?q=${encodeURIComponent(q)}`;
    return (await this.call<{ contacts: Contact[] }>("GET", path)).contacts;
  }
  setNumber(n: string, settings: NumberSettings) {
    return this.call<NumberUse>("PUT", `/v1/numbers/${encodeURIComponent(n)}`, settings);
  }
  async claim(id: string, action: "call_back" | "text_back") {
    const path = `/v1/notifications/${encodeURIComponent(id)}/claim`;
    return (await this.call<{ notification: Notification }>("POST", path, { action })).notification;
  }
  presenceOf(agent: string) {
    return this.call<Presence>("GET", `/v1/agents/${encodeURIComponent(agent)}`);
  }
  setPresence(availability: Availability) {
    return this.call<Presence>("PUT", "/v1/presence", { availability });
  }
  setPresenceOf(agent: string, availability: Availability) {
    return this.call<Presence>("PUT", `/v1/agents/${encodeURIComponent(agent)}/presence`, {
      availability,
    });
  }
  async agents() {
    return (await this.call<{ agents: Presence[] }>("GET", "/v1/agents")).agents;
  }
  async numbers() {
    return (await this.call<{ numbers: NumberUse[] }>("GET", "/v1/numbers")).numbers;
  }
  number(n: string) {
    return this.call<NumberUse>("GET", `/v1/numbers/${encodeURIComponent(n)}`);
  }
  async calls() {
    return (await this.call<{ calls: LiveCall[] }>("GET", "/v1/calls")).calls;
  }
  async unclaimed() {
    return (await this.call<{ notifications: Notification[] }>("GET", "/v1/notifications/unclaimed"))
      .notifications;
  }
}

export type StreamState = "connecting" | "live" | "reconnecting";

export interface StreamHandlers {
  /** The stream is open (first bytes read): re-read lists now, events after this are live. */
  onOpen(): void;
  onEvent(e: SseEvent): void;
  onState(s: StreamState): void;
  /** The token was refused (401): stop. */
  onUnauthorized(): void;
}

/**
 * Follows GET /v1/stream until `signal` aborts, reconnecting after `retry` (the server says 2 s)
 * whenever it drops. The API is live only (no replay), so onOpen runs after every (re)connect.
 */
export async function followStream(api: Api, signal: AbortSignal, h: StreamHandlers): Promise<void> {
  let retryMs = 2000;
  let first = true;
  while (!signal.aborted) {
    h.onState(first ? "connecting" : "reconnecting");
    first = false;
    try {
      const res = await fetch("/v1/stream", {
        headers: { Authorization: `Bearer ${api.token}`, Accept: "text/event-stream" },
        cache: "no-store",
        signal,
      });
      if (res.status === 401) {
        h.onUnauthorized();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const parser = new SseParser(h.onEvent);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let opened = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!opened) {
          opened = true;
          h.onState("live");
          h.onOpen();
        }
        parser.push(value);
        if (parser.retryMs !== undefined) retryMs = parser.retryMs;
      }
    } catch {
      // network error or abort: fall through to the retry wait
    }
    if (signal.aborted) return;
    h.onState("reconnecting");
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

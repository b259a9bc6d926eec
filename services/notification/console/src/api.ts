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
}

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

  me() {
    return this.call<Me>("GET", "/v1/me");
  }
  async notifications() {
    return (await this.call<{ notifications: Notification[] }>("GET", "/v1/notifications")).notifications;
  }
  async records() {
    return (await this.call<{ records: Notification[] }>("GET", "/v1/records")).records;
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

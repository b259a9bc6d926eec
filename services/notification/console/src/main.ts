// Entry point: sign in with a bearer token, then the agent or the admin page by role, both fed by
// one GET /v1/stream. The token lives in sessionStorage (this tab only), never in the URL.
import "./style.css";
import { Api, ApiError, followStream, type StreamState } from "./api";
import { AdminView } from "./admin_view";
import { AgentView } from "./agent_view";
import { byId } from "./dom";

const TOKEN_KEY = "callmesh.console.token";

interface Session {
  abort: AbortController;
  view: AgentView | AdminView;
}

let session: Session | undefined;

const form = byId<HTMLFormElement>("sign-in-form");
const tokenInput = byId<HTMLInputElement>("token");
const errorBox = byId("sign-in-error");
const signIn = byId("sign-in");
const sessionBar = byId("session");
const viewHost = byId("view");
const title = byId("page-title");
const live = byId("live-status");

const LIVE_TEXT: Record<StreamState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
};

function setLive(s: StreamState): void {
  live.dataset.state = s;
  live.textContent = LIVE_TEXT[s];
}

function signOut(message = ""): void {
  session?.abort.abort();
  session?.view.stop();
  session = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  viewHost.replaceChildren();
  sessionBar.hidden = true;
  signIn.hidden = false;
  title.textContent = "Sign in";
  document.title = "callmesh console";
  errorBox.textContent = message;
  tokenInput.value = "";
  tokenInput.focus();
}

async function start(token: string): Promise<void> {
  const api = new Api(token);
  const me = await api.me();
  const view = me.role === "admin" ? new AdminView(api) : new AgentView(api, me.agent_id);
  const abort = new AbortController();
  session = { abort, view };
  sessionStorage.setItem(TOKEN_KEY, token);
  signIn.hidden = true;
  sessionBar.hidden = false;
  byId("who").textContent = me.agent_id;
  byId("role").textContent = me.role;
  title.textContent = me.role === "admin" ? "Calls and agents" : "Follow-ups";
  document.title = `${title.textContent} · callmesh console`;
  document.body.dataset.role = me.role;
  viewHost.replaceChildren(view.root);
  view.start();
  byId("main").focus();
  void followStream(api, abort.signal, {
    onOpen: () => void view.refresh().catch(() => undefined),
    onEvent: (e) => view.onStreamEvent(e),
    onState: setLive,
    onUnauthorized: () => signOut("Your token is no longer valid. Please sign in again."),
  });
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const token = tokenInput.value.trim();
  if (token.length < 8) {
    errorBox.textContent = "Enter your access token (at least 8 characters).";
    tokenInput.setAttribute("aria-invalid", "true");
    tokenInput.focus();
    return;
  }
  tokenInput.removeAttribute("aria-invalid");
  errorBox.textContent = "";
  start(token).catch((err: unknown) => {
    const msg =
      err instanceof ApiError && err.status === 401
        ? "That token is not valid."
        : `Could not sign in: ${(err as Error).message}`;
    errorBox.textContent = msg;
    tokenInput.setAttribute("aria-invalid", "true");
    tokenInput.focus();
  });
});

byId("sign-out").addEventListener("click", () => signOut());

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  start(saved).catch(() => signOut());
} else {
  tokenInput.focus();
}

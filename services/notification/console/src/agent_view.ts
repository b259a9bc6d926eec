// The agent's page (seed 004 "Call Notification"): presence and desktop alerts, the live list of
// unclaimed missed calls and texts from unknown numbers (call back, text back or save as a contact:
// each claims; withdrawn live when someone else claims), what this agent claimed, their answered
// calls, and the history of both.
import {
  Api,
  ApiError,
  type Availability,
  type Contact,
  type Notification,
  type Presence,
  type Withdrawal,
} from "./api";
import { contactDialog } from "./contact_dialog";
import { DesktopAlerts } from "./desktop_alerts";
import { announce, h } from "./dom";
import { followUpCard, mayAct } from "./followup_cards";
import { AVAILABILITY_LABEL, ago, clock, kindLabel, phone } from "./format";
import { HistoryPanel } from "./history_panel";
import type { SseEvent } from "./sse";
import { composeText } from "./text_compose";

const AVAILABILITIES: Availability[] = ["available", "away", "dnd", "offline"];

export class AgentView {
  readonly root: HTMLElement;
  private readonly open = new Map<string, Notification>(); // unclaimed, visible to me
  private readonly mine = new Map<string, Notification>(); // claimed by me
  private readonly records = new Map<string, Notification>(); // answered by me
  private readonly contacts = new Map<string, Contact>(); // contact saved from a follow-up (this tab)
  private readonly openList: HTMLUListElement;
  private readonly openCount: HTMLElement;
  private readonly mineList: HTMLUListElement;
  private readonly recordsBody: HTMLTableSectionElement;
  private readonly presenceForm: HTMLFormElement;
  private readonly presenceNote: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly alerts = new DesktopAlerts();
  private readonly history = new HistoryPanel();
  private timer: number | undefined;
  private during: SseEvent[] | undefined; // stream events seen while refresh() reads the lists
  private readonly cardActions = {
    callBack: (n: Notification, b: HTMLButtonElement) => void this.claim(n, b),
    textBack: (n: Notification) => this.textBack(n),
    saveContact: (n: Notification) => this.saveContact(n),
  };

  constructor(
    private readonly api: Api,
    private readonly agentId: string,
  ) {
    this.announcer = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.presenceNote = h("p", { class: "note", id: "presence-note", "aria-live": "polite" });
    this.presenceForm = h(
      "form",
      { class: "presence", "aria-describedby": "presence-note", onsubmit: (e: Event) => e.preventDefault() },
      h(
        "fieldset",
        {},
        h("legend", {}, "Your availability"),
        ...AVAILABILITIES.map((a) =>
          h(
            "label",
            { class: `choice choice-${a}` },
            h("input", {
              type: "radio",
              name: "availability",
              value: a,
              onchange: () => void this.setAvailability(a),
            }),
            h("span", { class: `dot dot-${a}`, "aria-hidden": "true" }),
            AVAILABILITY_LABEL[a],
          ),
        ),
      ),
    );
    this.openCount = h("span", { class: "count", id: "open-count" }, "0");
    this.openList = h("ul", {
      class: "cards",
      id: "followups",
      "aria-live": "polite",
      "aria-relevant": "additions removals",
      "aria-labelledby": "followups-heading",
    });
    this.mineList = h("ul", { class: "cards", id: "claimed", "aria-labelledby": "claimed-heading" });
    this.recordsBody = h("tbody", {});
    const panel = (id: string, title: string | (Node | string)[], ...rest: Node[]) =>
      h(
        "section",
        { class: "panel", "aria-labelledby": id },
        h("h2", { id }, ...(typeof title === "string" ? [title] : title)),
        ...rest,
      );

    this.root = h(
      "div",
      { class: "agent-view", "data-view": "agent" },
      this.announcer,
      h(
        "div",
        { class: "grid" },
        h(
          "div",
          { class: "stack" },
          panel("presence-heading", "Presence", this.presenceForm, this.presenceNote),
          panel("alerts-heading", "Alerts", this.alerts.root),
        ),
        h(
          "div",
          { class: "stack" },
          panel(
            "followups-heading",
            ["Missed calls and texts from unknown numbers ", this.openCount],
            h(
              "p",
              { class: "hint" },
              "New ones appear here live. The first agent to call back, text back or save the caller as a contact claims it; it then disappears for everyone else.",
            ),
            this.openList,
          ),
          panel("claimed-heading", "Claimed by you", this.mineList),
          panel(
            "records-heading",
            "Your answered calls",
            h(
              "table",
              { class: "table", id: "records" },
              h("caption", { class: "visually-hidden" }, "Calls from unknown numbers you answered"),
              h(
                "thead",
                {},
                h("tr", {}, ...["Caller", "Number called", "When"].map((c) => h("th", { scope: "col" }, c))),
              ),
              this.recordsBody,
            ),
          ),
          this.history.root,
        ),
      ),
    );
    this.render();
  }

  /**
   * (Re)reads everything: after sign-in and after every stream (re)connect. Stream events that
   * arrive while the lists are in flight are applied at once and again on top of the lists, so a
   * notification created (or withdrawn) during the read is neither lost nor resurrected.
   */
  async refresh(): Promise<void> {
    const during: SseEvent[] = [];
    this.during = during;
    try {
      const [notes, recs, me] = await Promise.all([
        this.api.notifications(),
        this.api.records(),
        this.api.presenceOf(this.agentId).catch(() => undefined),
      ]);
      this.open.clear();
      this.mine.clear();
      for (const n of notes) this.place(n);
      this.records.clear();
      for (const r of recs) this.records.set(r.id, r);
      if (me) this.showPresence(me);
    } finally {
      if (this.during === during) this.during = undefined;
    }
    for (const e of during) this.apply(e, false);
    this.render();
    this.root.dataset.ready = "true";
  }

  start(): void {
    this.timer = window.setInterval(() => this.renderTimes(), 15000);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }

  onStreamEvent(e: SseEvent): void {
    this.during?.push(e);
    this.apply(e, true);
  }

  // live: a fresh event (render and announce); false: a replay on top of re-read lists.
  private apply(e: SseEvent, live: boolean): void {
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    if (e.event === "notification.created") {
      const n = data as Notification;
      if (n.kind === "answered_call") {
        this.records.set(n.id, n);
      } else {
        const isNew = !this.open.has(n.id) && !this.mine.has(n.id);
        this.place(n);
        if (live && isNew) this.alerts.arrived(n);
      }
      if (live) this.render();
    } else if (e.event === "notification.withdrawn") {
      const w = data as Withdrawal;
      const gone = this.open.get(w.id);
      if (gone && this.open.delete(w.id) && live) {
        this.render();
        announce(
          this.announcer,
          `${kindLabel(gone.kind)} from ${phone(gone.caller)} was claimed by ${w.claimed_by}.`,
        );
      }
    } else if (e.event === "notification.claimed") {
      const w = data as Withdrawal;
      const n = this.open.get(w.id);
      if (n) {
        this.place({ ...n, state: "claimed", claimed_by: w.claimed_by, claim_action: w.action });
        if (live) this.render();
      }
    } else if (e.event === "presence.changed") {
      const p = data as Presence;
      if (p.agent_id === this.agentId) this.showPresence(p);
    }
  }

  private place(n: Notification): void {
    this.open.delete(n.id);
    this.mine.delete(n.id);
    if (n.state === "unclaimed") this.open.set(n.id, n);
    else if (n.claimed_by === this.agentId) this.mine.set(n.id, n);
  }

  private async setAvailability(a: Availability): Promise<void> {
    this.presenceNote.textContent = `Setting ${AVAILABILITY_LABEL[a]}…`;
    try {
      this.showPresence(await this.api.setPresence(a));
    } catch (err) {
      this.presenceNote.textContent = `Could not change availability: ${(err as Error).message}`;
      this.presenceNote.classList.add("error");
    }
  }

  private showPresence(p: Presence): void {
    const input = this.presenceForm.querySelector<HTMLInputElement>(`input[value="${p.availability}"]`);
    if (input) input.checked = true;
    this.presenceNote.classList.remove("error");
    const busy =
      p.on_call > 0
        ? `on ${p.on_call} call${p.on_call > 1 ? "s" : ""}`
        : p.ringing > 0
          ? "ringing"
          : "no call";
    this.presenceNote.textContent = `You are ${AVAILABILITY_LABEL[p.availability] ?? p.availability} · ${busy}.`;
    this.root.dataset.availability = p.availability;
  }

  /** A claim went to someone else (409) or the record is gone (404): drop the card and say so. */
  private lost(n: Notification, claimedBy?: string): void {
    this.open.delete(n.id);
    this.render();
    announce(
      this.announcer,
      `Too late: ${phone(n.caller)} was already claimed${claimedBy ? ` by ${claimedBy}` : ""}.`,
    );
  }

  /** Shows `n` (now claimed by me) in "Claimed by you", focused, and announces `what`. */
  private won(n: Notification, what: string): void {
    this.place(n);
    this.render();
    announce(this.announcer, what);
    this.mineList.querySelector<HTMLElement>(`[data-id="${CSS.escape(n.id)}"]`)?.focus();
  }

  private async claim(n: Notification, button: HTMLButtonElement) {
    button.disabled = true;
    try {
      this.won(await this.api.claim(n.id, "call_back"), `Claimed. Please call ${phone(n.caller)} back.`);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
        this.lost(n, typeof err.body.claimed_by === "string" ? err.body.claimed_by : undefined);
      } else {
        button.disabled = false;
        announce(this.announcer, `Could not claim: ${(err as Error).message}`);
      }
    }
  }

  private textBack(n: Notification): void {
    composeText(this.api, n, (o) => {
      if (o.sent) {
        const claimed = o.sent.notification ?? {
          ...n,
          state: "claimed",
          claimed_by: this.agentId,
          claim_action: "text_back",
        };
        this.won(claimed, `Text sent to ${phone(o.sent.to)} from ${phone(o.sent.from)}.`);
      } else if (o.lost) {
        this.lost(n, o.lost.claimedBy);
      } else if (o.claimedButFailed) {
        void this.refresh(); // the claim is mine even though the text failed
      }
    });
  }

  private saveContact(n: Notification): void {
    contactDialog(this.api, n, (o) => {
      if (o.contact && o.notification) {
        this.contacts.set(n.id, o.contact);
        this.won(o.notification, `Saved ${phone(n.caller)} to contact ${o.contact.name}.`);
      } else if (o.lost) {
        this.lost(n, o.lost.claimedBy);
      }
    });
  }

  private render(): void {
    const newestFirst = (m: Map<string, Notification>) => [...m.values()].sort((a, b) => b.at_ms - a.at_ms);
    // Keep existing <li>s (and focus) where possible: only add and remove what changed, so the
    // aria-live list announces the arrivals, not a rebuilt list.
    const open = newestFirst(this.open);
    const wanted = new Set(open.map((n) => n.id));
    for (const li of [...this.openList.querySelectorAll<HTMLLIElement>("li.card")]) {
      if (!wanted.has(li.dataset.id ?? "")) li.remove();
    }
    this.openList.querySelector("li.empty")?.remove();
    let prev: Element | null = null;
    for (const n of open) {
      let li = this.openList.querySelector<HTMLLIElement>(`li.card[data-id="${CSS.escape(n.id)}"]`);
      if (!li) li = followUpCard(n, false, this.cardActions, undefined, mayAct(n, this.agentId));
      if (prev ? prev.nextElementSibling !== li : this.openList.firstElementChild !== li) {
        if (prev) prev.after(li);
        else this.openList.prepend(li);
      }
      prev = li;
    }
    if (open.length === 0)
      this.openList.append(h("li", { class: "empty" }, "Nothing to follow up right now."));
    this.openCount.textContent = String(open.length);
    this.openCount.setAttribute("aria-label", `${open.length} waiting`);

    const mine = newestFirst(this.mine);
    this.mineList.replaceChildren(
      ...(mine.length
        ? mine.map((n) => followUpCard(n, true, this.cardActions, this.contacts.get(n.id)))
        : [h("li", { class: "empty" }, "Nothing claimed yet.")]),
    );

    const recs = newestFirst(this.records);
    this.recordsBody.replaceChildren(
      ...(recs.length
        ? recs.map((r) =>
            h(
              "tr",
              { "data-id": r.id },
              h("td", { class: "num" }, phone(r.caller)),
              h("td", { class: "num" }, phone(r.number)),
              h("td", {}, h("time", { datetime: new Date(r.at_ms).toISOString() }, clock(r.at_ms))),
            ),
          )
        : [
            h(
              "tr",
              {},
              h("td", { colspan: 3, class: "empty" }, "No answered calls from unknown numbers yet."),
            ),
          ]),
    );
    this.history.update([...this.mine.values(), ...this.records.values()]);
  }

  private renderTimes(): void {
    for (const t of this.root.querySelectorAll<HTMLTimeElement>("time[data-at]")) {
      t.textContent = ago(Number(t.dataset.at));
    }
  }
}

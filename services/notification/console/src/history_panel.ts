// An agent's history: what they claimed (call back, text back, contact) and the calls from unknown
// numbers they answered, newest first, with full dates, a search box and pages of PAGE_SIZE.
import type { Notification } from "./api";
import { h } from "./dom";
import { kindLabel, phone, stamp } from "./format";

export const PAGE_SIZE = 10;

const ACTION_LABEL: Record<string, string> = {
  call_back: "Called back",
  text_back: "Texted back",
  create_contact: "Added as a contact",
  associate_contact: "Associated with a contact",
};

export function outcomeOf(n: Notification): string {
  if (n.kind === "answered_call") return "Answered";
  return ACTION_LABEL[n.claim_action ?? ""] ?? (n.claim_action ?? "").replace(/_/g, " ");
}

/** Everything a search may match in one entry: the number as stored and as shown, and the words. */
function haystack(n: Notification): string {
  return [
    n.caller,
    phone(n.caller),
    n.number,
    phone(n.number),
    kindLabel(n.kind),
    outcomeOf(n),
    n.source ?? "",
    n.tag ?? "",
    stamp(n.claimed_at_ms ?? n.at_ms),
  ]
    .join(" ")
    .toLowerCase();
}

export class HistoryPanel {
  readonly root: HTMLElement;
  private entries: Notification[] = [];
  private page = 0;
  private readonly search: HTMLInputElement;
  private readonly body: HTMLTableSectionElement;
  private readonly status: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;

  constructor() {
    this.search = h("input", {
      type: "search",
      id: "history-search",
      "aria-controls": "history",
      placeholder: "Number, kind, source, date…",
      oninput: () => {
        this.page = 0;
        this.render();
      },
    });
    this.body = h("tbody", {});
    this.status = h("p", { class: "hint", id: "history-status", role: "status" });
    this.prev = h(
      "button",
      { type: "button", onclick: () => this.turn(-1), "aria-controls": "history" },
      "Previous page",
    );
    this.next = h(
      "button",
      { type: "button", onclick: () => this.turn(1), "aria-controls": "history" },
      "Next page",
    );
    this.root = h(
      "section",
      { class: "panel", "aria-labelledby": "history-heading" },
      h("h2", { id: "history-heading" }, "History"),
      h("div", { class: "field" }, h("label", { for: "history-search" }, "Search history"), this.search),
      h(
        "table",
        { class: "table", id: "history" },
        h("caption", { class: "visually-hidden" }, "Your claimed and answered calls and texts, newest first"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["When", "What", "Caller", "Number called", "Outcome"].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        this.body,
      ),
      h("nav", { class: "pager", "aria-label": "History pages" }, this.prev, this.status, this.next),
    );
    this.render();
  }

  /** Replaces the entries (claimed by me and answered by me); keeps the search and the page. */
  update(entries: Notification[]): void {
    const when = (n: Notification) => n.claimed_at_ms ?? n.at_ms;
    this.entries = [...entries].sort((a, b) => when(b) - when(a));
    this.render();
  }

  private matching(): Notification[] {
    const words = this.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return this.entries;
    return this.entries.filter((n) => {
      const hay = haystack(n);
      return words.every((w) => hay.includes(w));
    });
  }

  private turn(by: number): void {
    this.page += by;
    this.render();
    (by > 0 ? this.next : this.prev).focus();
  }

  private render(): void {
    const all = this.matching();
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    const shown = all.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    this.body.replaceChildren(
      ...(shown.length
        ? shown.map((n) => {
            const at = n.claimed_at_ms ?? n.at_ms;
            return h(
              "tr",
              { "data-id": n.id },
              h("td", { class: "num" }, h("time", { datetime: new Date(at).toISOString() }, stamp(at))),
              h("td", {}, kindLabel(n.kind)),
              h("td", { class: "num" }, phone(n.caller)),
              h("td", { class: "num" }, phone(n.number)),
              h("td", {}, outcomeOf(n)),
            );
          })
        : [
            h(
              "tr",
              {},
              h(
                "td",
                { colspan: 5, class: "empty" },
                this.entries.length ? "Nothing matches the search." : "Nothing yet.",
              ),
            ),
          ]),
    );
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    const from = all.length ? this.page * PAGE_SIZE + 1 : 0;
    const to = this.page * PAGE_SIZE + shown.length;
    this.status.textContent = all.length
      ? `Page ${this.page + 1} of ${pages} · ${from}–${to} of ${all.length}`
      : "No entries";
  }
}

// One follow-up as a card (seed 004 "Source & Tag": the notification shows the Source and the
// phone number, with the option to add as a new contact or associate with an existing one).
// Unclaimed: Call back, Text back, Save as contact (each one claims). Claimed by me: what I did.
import type { Contact, Notification } from "./api";
import { h } from "./dom";
import { ago, clock, kindLabel, phone } from "./format";
import { outcomeOf } from "./history_panel";

export interface CardActions {
  callBack(n: Notification, button: HTMLButtonElement): void;
  textBack(n: Notification): void;
  saveContact(n: Notification): void;
}

function contactLine(c: Contact): HTMLElement {
  return h(
    "p",
    { class: "contact-line" },
    `Contact: ${c.name} · Source: ${c.source || "none"} · Tags: ${c.tags.length ? c.tags.join(", ") : "none"}`,
  );
}

// Seed 004: "all users can see the record of the missed call"; only the selected agents may act on
// it. A record from a list says so in can_claim; one from the stream names who may (visible_to).
export function mayAct(n: Notification, agentId: string): boolean {
  if (n.can_claim !== undefined) return n.can_claim;
  return (n.visible_to ?? n.rung ?? []).includes(agentId);
}

export function followUpCard(
  n: Notification,
  claimed: boolean,
  actions: CardActions,
  contact?: Contact,
  canAct = true,
): HTMLLIElement {
  const who = phone(n.caller);
  const meta = [`to ${phone(n.number)}`, n.source ? `Source: ${n.source}` : "", n.tag ? `Tag: ${n.tag}` : ""]
    .filter(Boolean)
    .join(" · ");
  const button = (label: string, aria: string, onclick: (e: Event) => void, primary = false) =>
    h(
      "button",
      { type: "button", class: primary ? "primary" : undefined, "aria-label": aria, onclick },
      label,
    );
  const body = claimed
    ? h(
        "div",
        { class: "claimed-body" },
        h(
          "p",
          { class: "claimed-note" },
          `Claimed by you: ${outcomeOf(n).toLowerCase()}`,
          n.claimed_at_ms ? ` at ${clock(n.claimed_at_ms)}` : "",
          ".",
        ),
        contact ? contactLine(contact) : null,
      )
    : !canAct
      ? h(
          "p",
          { class: "claimed-note" },
          "For the selected agents to follow up; it leaves your list once one of them does.",
        )
      : h(
        "div",
        { class: "actions" },
        button(
          "Call back",
          `Call back ${who}`,
          (e) => actions.callBack(n, e.currentTarget as HTMLButtonElement),
          true,
        ),
        button("Text back", `Text back ${who}`, () => actions.textBack(n)),
        button("Save contact", `Save ${who} as a contact`, () => actions.saveContact(n)),
      );
  return h(
    "li",
    { class: `card kind-${n.kind}`, "data-id": n.id, tabindex: claimed ? -1 : undefined },
    h(
      "div",
      { class: "card-main" },
      h("span", { class: `badge badge-${n.kind}` }, kindLabel(n.kind)),
      h("p", { class: "caller" }, who),
      h("p", { class: "meta" }, meta),
      h(
        "time",
        {
          datetime: new Date(n.at_ms).toISOString(),
          title: new Date(n.at_ms).toLocaleString(),
          "data-at": n.at_ms,
        },
        ago(n.at_ms),
      ),
    ),
    body,
  );
}

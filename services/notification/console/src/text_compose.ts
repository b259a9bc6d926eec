// "Text back" from a card (seed 004 "Call Notification": texting back is a claim): compose, choose
// the sending number (seed 004 "Outbound Manual Texts": personal or company), send. The API claims
// and sends in one request (POST /v1/notifications/{id}/text); the text leaves only if the claim
// was won, so two agents can never both text the same caller.
import { ApiError, type Api, type Notification, type TextSent } from "./api";
import { field, openModal } from "./dialog";
import { h } from "./dom";
import { phone } from "./format";

export const TEXT_MAX = 1600; // bytes, as the API counts them (seed 004 texts)

export interface TextOutcome {
  sent?: TextSent;
  /** Someone else claimed it first (409) or it is gone (404): drop the card. */
  lost?: { claimedBy?: string };
  /** The claim was taken but the gateway failed (502/504): the record is ours now. */
  claimedButFailed?: boolean;
}

export function composeText(api: Api, n: Notification, done: (o: TextOutcome) => void): void {
  const who = phone(n.caller);
  const message = h("textarea", { rows: 5, required: true, maxlength: TEXT_MAX, name: "text" });
  const counter = h("p", { class: "hint counter", "aria-live": "polite" }, `0 / ${TEXT_MAX}`);
  message.addEventListener("input", () => {
    counter.textContent = `${new TextEncoder().encode(message.value).length} / ${TEXT_MAX}`;
  });
  const from = h(
    "select",
    { name: "from" },
    h("option", { value: "company" }, `Company number (${phone(n.number)})`),
    h("option", { value: "personal" }, "My personal number"),
  );
  let outcome: TextOutcome = {};
  openModal(
    `Text back ${who}`,
    "Send text",
    [
      h("p", { class: "hint" }, "Sending claims this follow-up: it disappears for the other agents."),
      field("Message", message),
      counter,
      field("Send from", from),
    ],
    async (p) => {
      const text = message.value.trim();
      if (!text) {
        p.error.textContent = "Write a message first.";
        message.focus();
        return false;
      }
      if (new TextEncoder().encode(text).length > TEXT_MAX) {
        p.error.textContent = `The message is longer than ${TEXT_MAX} bytes.`;
        return false;
      }
      try {
        outcome = { sent: await api.textBack(n.id, text, from.value as "personal" | "company") };
        return true;
      } catch (err) {
        if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
          const by = typeof err.body.claimed_by === "string" ? err.body.claimed_by : undefined;
          outcome = { lost: { claimedBy: by } };
          return true;
        }
        if (err instanceof ApiError && (err.status === 502 || err.status === 504)) {
          outcome = { claimedButFailed: true };
          p.error.textContent = `Claimed, but the text was not delivered: ${err.message}. Try again.`;
          return false;
        }
        p.error.textContent = `Not sent: ${(err as Error).message}`;
        return false;
      }
    },
    () => done(outcome),
  );
  message.focus();
}

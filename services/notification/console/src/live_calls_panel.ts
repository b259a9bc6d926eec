// The admin's live calls: who calls, which number, the routing rule that planned the call, whose
// phones ring for it now, who answered, and for how long (GET /v1/calls, polled).
import type { LiveCall } from "./api";
import { h } from "./dom";
import { duration, phone } from "./format";

export class LiveCallsPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLTableSectionElement;

  constructor() {
    this.body = h("tbody", {});
    this.root = h(
      "section",
      { class: "panel wide", "aria-labelledby": "calls-heading" },
      h("h2", { id: "calls-heading" }, "Live calls"),
      h(
        "table",
        { class: "table", id: "calls" },
        h("caption", { class: "visually-hidden" }, "Calls in progress"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Caller", "Number", "Rule", "State", "Ringing", "Answered by", "Duration"].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        this.body,
      ),
    );
  }

  render(calls: LiveCall[]): void {
    const sorted = [...calls].sort((a, b) => a.offered_at_ms - b.offered_at_ms);
    this.body.replaceChildren(
      ...(sorted.length
        ? sorted.map((c) => {
            const ringing = c.ringing ?? [];
            return h(
              "tr",
              { "data-call": c.call_id },
              h("td", { class: "num caller" }, c.caller ? phone(c.caller) : "—"),
              h("td", { class: "num", title: c.call_id }, phone(c.number)),
              h("td", { class: "rule" }, c.rule || "—"),
              h(
                "td",
                {},
                h(
                  "span",
                  { class: `badge badge-${c.state}` },
                  c.state === "answered" ? "Answered" : "Ringing",
                ),
              ),
              h("td", { class: "ringing" }, ringing.length ? ringing.join(", ") : "—"),
              h("td", {}, c.answered_by || "—"),
              h("td", { class: "num" }, c.offered_at_ms ? duration(c.offered_at_ms) : "—"),
            );
          })
        : [h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No calls right now."))]),
    );
  }
}

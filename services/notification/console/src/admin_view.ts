// The admin's page: live calls per number with cap use (seed 004: at most 50 simultaneous inbound
// calls per company number) and each number's settings (admins only, seed 004), the live calls
// themselves (caller, rule, ringing agents), and every agent's presence. Calls and cap use are
// polled (they change with every SIP event; no stream carries them); presence is pushed by the
// stream (presence.changed) and re-read now and then.
import { Api, type Availability, type LiveCall, type NumberUse, type Presence } from "./api";
import { announce, h } from "./dom";
import { AVAILABILITY_LABEL, availabilityLabel, clock, phone } from "./format";
import { LiveCallsPanel } from "./live_calls_panel";
import { editNumberSettings } from "./number_settings_dialog";
import type { SseEvent } from "./sse";

const POLL_MS = 1000;
const AGENTS_EVERY = 5; // polls

export class AdminView {
  readonly root: HTMLElement;
  private readonly agents = new Map<string, Presence>();
  private numbers: NumberUse[] = [];
  private calls: LiveCall[] = [];
  private readonly numbersBody: HTMLTableSectionElement;
  private readonly callsPanel = new LiveCallsPanel();
  private editing = false; // a settings dialog is open: keep its row still
  private readonly agentsBody: HTMLTableSectionElement;
  private readonly updated: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly totals: HTMLElement;
  private timer: number | undefined;
  private polls = 0;
  private busy = false;

  constructor(private readonly api: Api) {
    this.announcer = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.updated = h("p", { class: "hint", id: "admin-updated" }, "Loading…");
    this.totals = h("div", { class: "totals", id: "admin-totals" });
    const head = (...cols: string[]) =>
      h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c))));
    this.numbersBody = h("tbody", {});
    this.agentsBody = h("tbody", {});
    this.root = h(
      "div",
      { class: "admin-view", "data-view": "admin" },
      this.announcer,
      this.totals,
      h(
        "div",
        { class: "grid" },
        h(
          "section",
          { class: "panel wide", "aria-labelledby": "numbers-heading" },
          h("h2", { id: "numbers-heading" }, "Live calls per number"),
          this.updated,
          h(
            "table",
            { class: "table", id: "numbers" },
            h("caption", { class: "visually-hidden" }, "Simultaneous calls per number against its cap"),
            head("Number", "Source", "Tag", "Live calls", "Cap use", "Selected agents", "Settings"),
            this.numbersBody,
          ),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "agents-heading" },
          h("h2", { id: "agents-heading" }, "Agents"),
          h(
            "table",
            { class: "table", id: "agents" },
            h("caption", { class: "visually-hidden" }, "Every agent's presence"),
            head("Agent", "Presence", "Line", "Set presence"),
            this.agentsBody,
          ),
        ),
        this.callsPanel.root,
      ),
    );
  }

  async refresh(): Promise<void> {
    await this.poll(true);
  }

  start(): void {
    this.timer = window.setInterval(() => void this.poll(false), POLL_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }

  onStreamEvent(e: SseEvent): void {
    if (e.event !== "presence.changed") return;
    try {
      const p = JSON.parse(e.data) as Presence;
      this.agents.set(p.agent_id, { ...this.agents.get(p.agent_id), ...p });
      this.renderAgents();
    } catch {
      /* malformed event: ignore */
    }
  }

  private async poll(withAgents: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const wantAgents = withAgents || this.polls % AGENTS_EVERY === 0;
      this.polls++;
      const [numbers, calls, agents] = await Promise.all([
        this.api.numbers(),
        this.api.calls(),
        wantAgents ? this.api.agents().catch(() => undefined) : Promise.resolve(undefined),
      ]);
      // Numbers with live calls but no settings or cap override still get a row.
      const known = new Set(numbers.map((n) => n.number));
      const extra = [...new Set(calls.map((c) => c.number).filter((n) => n && !known.has(n)))];
      const more = await Promise.all(extra.map((n) => this.api.number(n).catch(() => undefined)));
      this.numbers = [...numbers, ...more.filter((n): n is NumberUse => !!n)];
      this.calls = calls;
      if (agents) {
        this.agents.clear();
        for (const a of agents) this.agents.set(a.agent_id, a);
        this.renderAgents();
      }
      if (!this.editing) this.renderCalls();
      else this.callsPanel.render(this.calls);
      this.updated.textContent = `Updated ${clock(Date.now())}; refreshes every second.`;
      this.updated.classList.remove("error");
      this.root.dataset.ready = "true";
    } catch (err) {
      this.updated.textContent = `Could not refresh: ${(err as Error).message}`;
      this.updated.classList.add("error");
    } finally {
      this.busy = false;
    }
  }

  private renderCalls(): void {
    const refocus = (document.activeElement as HTMLElement | null)?.dataset?.edit;
    const perNumber = new Map<string, number>();
    for (const c of this.calls) perNumber.set(c.number, (perNumber.get(c.number) ?? 0) + 1);
    const rows = [...this.numbers].sort((a, b) => b.in_use - a.in_use || a.number.localeCompare(b.number));
    this.numbersBody.replaceChildren(
      ...(rows.length
        ? rows.map((n) => {
            const pct = n.cap > 0 ? Math.min(100, Math.round((n.in_use / n.cap) * 100)) : 100;
            const level = pct >= 90 ? "full" : pct >= 70 ? "high" : "ok";
            return h(
              "tr",
              { "data-number": n.number },
              h("th", { scope: "row", class: "num" }, phone(n.number)),
              h("td", {}, n.source || "—"),
              h("td", {}, n.tag || "—"),
              h("td", { class: "num live-count" }, String(perNumber.get(n.number) ?? 0)),
              h(
                "td",
                {},
                h(
                  "div",
                  { class: "capcell" },
                  h("span", { class: "cap-text num" }, `${n.in_use}/${n.cap}`),
                  h(
                    "span",
                    {
                      class: `capbar capbar-${level}`,
                      role: "meter",
                      "aria-valuemin": 0,
                      "aria-valuemax": n.cap,
                      "aria-valuenow": n.in_use,
                      "aria-label": `${phone(n.number)} cap use`,
                      "aria-valuetext": `${n.in_use} of ${n.cap} simultaneous calls`,
                    },
                    h("span", { class: "capfill" }),
                  ),
                ),
              ),
              h("td", { class: "selected" }, n.selected_agents.length ? n.selected_agents.join(", ") : "—"),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    "data-edit": n.number,
                    "aria-label": `Edit settings of ${phone(n.number)}`,
                    onclick: () => this.edit(n),
                  },
                  "Edit",
                ),
              ),
            );
          })
        : [h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No numbers configured."))]),
    );
    // The table is rebuilt every second: give focus back to the same Edit button.
    if (refocus) this.numbersBody.querySelector<HTMLElement>(`[data-edit="${CSS.escape(refocus)}"]`)?.focus();
    // Widths through CSSOM (allowed by the page's CSP, unlike style="" attributes).
    rows.forEach((n, i) => {
      const fill = this.numbersBody.rows[i]?.querySelector<HTMLElement>(".capfill");
      if (fill) fill.style.width = `${n.cap > 0 ? Math.min(100, (n.in_use / n.cap) * 100) : 100}%`;
    });

    this.callsPanel.render(this.calls);

    const live = this.calls.length;
    const used = this.numbers.reduce((s, n) => s + n.in_use, 0);
    const available = [...this.agents.values()].filter((a) => a.availability === "available").length;
    this.totals.replaceChildren(
      this.stat("Live calls", String(live)),
      this.stat("Slots in use", String(used)),
      this.stat("Agents available", `${available}/${this.agents.size}`),
    );
  }

  private stat(label: string, value: string): HTMLElement {
    return h(
      "div",
      { class: "stat" },
      h("span", { class: "stat-value num" }, value),
      h("span", { class: "stat-label" }, label),
    );
  }

  private renderAgents(): void {
    const agents = [...this.agents.values()].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    this.agentsBody.replaceChildren(
      ...(agents.length
        ? agents.map((a) => {
            const line =
              a.on_call > 0
                ? `on ${a.on_call} call${a.on_call > 1 ? "s" : ""}`
                : a.ringing > 0
                  ? "ringing"
                  : "idle";
            const select = h(
              "select",
              {
                "aria-label": `Set presence of ${a.agent_id}`,
                onchange: (e: Event) =>
                  void this.setPresence(
                    a.agent_id,
                    (e.currentTarget as HTMLSelectElement).value as Availability,
                  ),
              },
              ...(Object.keys(AVAILABILITY_LABEL) as Availability[]).map((v) =>
                h("option", { value: v, selected: v === a.availability }, AVAILABILITY_LABEL[v]),
              ),
            );
            return h(
              "tr",
              { "data-agent": a.agent_id },
              h("th", { scope: "row" }, a.agent_id),
              h(
                "td",
                {},
                h("span", { class: `dot dot-${a.availability}`, "aria-hidden": "true" }),
                h("span", { class: "availability" }, availabilityLabel(a.availability)),
                a.in_working_hours === false ? h("span", { class: "hint" }, " (off hours)") : null,
              ),
              h("td", {}, line),
              h("td", {}, select),
            );
          })
        : [h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No agents configured."))]),
    );
    const available = agents.filter((a) => a.availability === "available").length;
    const stat = this.totals.querySelectorAll(".stat-value")[2];
    if (stat) stat.textContent = `${available}/${agents.length}`;
  }

  private edit(n: NumberUse): void {
    this.editing = true;
    editNumberSettings(this.api, n, [...this.agents.keys()], (saved) => {
      this.editing = false;
      if (saved) {
        this.numbers = this.numbers.map((x) => (x.number === saved.number ? saved : x));
        announce(this.announcer, `Saved the settings of ${phone(saved.number)}.`);
      }
      this.renderCalls();
    });
  }

  private async setPresence(agent: string, a: Availability): Promise<void> {
    try {
      const p = await this.api.setPresenceOf(agent, a);
      this.agents.set(agent, p);
      this.renderAgents();
      announce(this.announcer, `${agent} is now ${AVAILABILITY_LABEL[a]}.`);
    } catch (err) {
      announce(this.announcer, `Could not set ${agent}'s presence: ${(err as Error).message}`);
    }
  }
}

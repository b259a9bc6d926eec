// Editing a company number's follow-up settings: its Source, its Tag and the agents selected for
// unknown callers (seed 004_ee4e98a6a7f6781b.txt: "Only the Team Owner/Admin can edit Company
// Number settings"; Blast Alert reaches "up to 5 selected agents"). Only the admin page offers it;
// the API refuses anyone else (403).
import type { Api, NumberUse } from "./api";
import { field, openModal } from "./dialog";
import { h } from "./dom";
import { phone } from "./format";

export const MAX_SELECTED_AGENTS = 5;

export function editNumberSettings(
  api: Api,
  n: NumberUse,
  agents: string[],
  done: (saved?: NumberUse) => void,
): void {
  let saved: NumberUse | undefined;
  const source = h("input", { type: "text", name: "source", value: n.source, maxlength: 100 });
  const tag = h("input", { type: "text", name: "tag", value: n.tag, maxlength: 100 });
  const all = [...new Set([...agents, ...n.selected_agents])].sort();
  const boxes = all.map((a) =>
    h("input", { type: "checkbox", name: "selected", value: a, checked: n.selected_agents.includes(a) }),
  );
  const limitNote = h("p", { class: "hint", id: "selected-limit" });
  const enforceLimit = () => {
    const count = boxes.filter((b) => b.checked).length;
    for (const b of boxes) b.disabled = !b.checked && count >= MAX_SELECTED_AGENTS;
    limitNote.textContent = `${count} of at most ${MAX_SELECTED_AGENTS} selected.`;
  };
  boxes.forEach((b) => b.addEventListener("change", enforceLimit));
  enforceLimit();

  openModal(
    `Settings of ${phone(n.number)}`,
    "Save settings",
    [
      field("Source", source, "Becomes the Source of contacts made from this number's missed calls."),
      field("Tag", tag, "Added as a Tag to those contacts."),
      h(
        "fieldset",
        { class: "agent-picks", "aria-describedby": "selected-limit" },
        h("legend", {}, "Selected agents (unknown callers)"),
        ...boxes.map((b) => h("label", { class: "choice" }, b, b.value)),
        limitNote,
      ),
    ],
    async (p) => {
      const value = (s: string) => s.trim();
      if (/,/.test(source.value) || /,/.test(tag.value)) {
        p.error.textContent = "Source and Tag may not contain a comma.";
        return false;
      }
      try {
        saved = await api.setNumber(n.number, {
          source: value(source.value),
          tag: value(tag.value),
          selected_agents: boxes.filter((b) => b.checked).map((b) => b.value),
        });
        return true;
      } catch (err) {
        p.error.textContent = `Not saved: ${(err as Error).message}`;
        return false;
      }
    },
    () => done(saved),
  );
  source.focus();
}

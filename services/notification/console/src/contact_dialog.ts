// From a missed call or text of an unknown caller: add the caller as a new contact, or associate
// them with one of my contacts (seed 004_ee4e98a6a7f6781b.txt "Source & Tag"). Either is a claim.
// The dialog says, before saving, what the seed's rules will make of Source and Tags:
//  - new contact: Source = the company number's Source; its Tag is added;
//  - existing contact with a Source: the number's Source and its Tag are added as Tags;
//  - existing contact without one: the number's Source becomes the Source; the Tag is added.
import { ApiError, type Api, type Contact, type Notification } from "./api";
import { field, openModal } from "./dialog";
import { h } from "./dom";
import { phone } from "./format";

export interface ContactOutcome {
  contact?: Contact;
  notification?: Notification;
  lost?: { claimedBy?: string };
}

const q = (s: string) => `“${s}”`;

/** What saving will do to Source and Tags, in words (the seed's rules applied to `target`). */
export function sourceTagPreview(n: Notification, target?: Contact): string {
  const src = n.source ?? "";
  const tag = n.tag ?? "";
  const tagPart = tag ? `Tag ${q(tag)} is added.` : "No Tag is set on this number.";
  if (!target) {
    return src ? `Source will be ${q(src)}. ${tagPart}` : `No Source is set on this number. ${tagPart}`;
  }
  if (target.source) {
    const tags = [src, tag].filter(Boolean).map(q).join(" and ");
    return `Source stays ${q(target.source)}; ${tags || "nothing"} ${tags.includes(" and ") ? "are" : "is"} added as Tags.`;
  }
  return src ? `Source becomes ${q(src)}. ${tagPart}` : `The contact keeps no Source. ${tagPart}`;
}

export function contactDialog(api: Api, n: Notification, done: (o: ContactOutcome) => void): void {
  const who = phone(n.caller);
  let outcome: ContactOutcome = {};
  let picked: Contact | undefined;
  let found: Contact[] = [];

  const preview = h("p", { class: "rule-preview", id: "contact-rule-preview", "aria-live": "polite" });
  const modeNew = h("input", { type: "radio", name: "mode", value: "new", checked: true });
  const modeOld = h("input", { type: "radio", name: "mode", value: "existing" });
  const name = h("input", { type: "text", name: "name", maxlength: 200, autocomplete: "off" });
  const search = h("input", { type: "search", name: "q", maxlength: 100, autocomplete: "off" });
  const results = h("fieldset", { class: "contact-results" }, h("legend", {}, "Your contacts"));
  const newPart = h("div", { class: "mode-new" }, field("Contact name", name));
  const oldPart = h(
    "div",
    { class: "mode-existing", hidden: true },
    field("Search your contacts", search, "Name or phone number"),
    results,
  );

  const existing = () => modeOld.checked;
  const showPreview = () => {
    preview.textContent =
      existing() && !picked ? "Choose a contact." : sourceTagPreview(n, existing() ? picked : undefined);
  };
  const renderResults = () => {
    const rows = found.map((c) => {
      const input = h("input", {
        type: "radio",
        name: "contact",
        value: c.id,
        checked: picked?.id === c.id,
        onchange: () => {
          picked = c;
          showPreview();
        },
      });
      const detail = [c.numbers.map(phone).join(", "), c.source ? `Source: ${c.source}` : "No Source"]
        .filter(Boolean)
        .join(" · ");
      return h("label", { class: "choice contact-choice" }, input, h("span", {}, `${c.name} · ${detail}`));
    });
    results.replaceChildren(
      h("legend", {}, "Your contacts"),
      ...(rows.length ? rows : [h("p", { class: "empty" }, "No contact matches.")]),
    );
  };
  let searchSerial = 0;
  const runSearch = async () => {
    const mine = ++searchSerial;
    try {
      const list = await api.myContacts(search.value.trim());
      if (mine !== searchSerial) return; // a newer search is on its way
      found = list;
      if (picked && !found.some((c) => c.id === picked?.id)) picked = undefined;
      renderResults();
      showPreview();
    } catch (err) {
      results.replaceChildren(
        h("legend", {}, "Your contacts"),
        h("p", { class: "error" }, `Could not search: ${(err as Error).message}`),
      );
    }
  };
  let debounce: number | undefined;
  search.addEventListener("input", () => {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => void runSearch(), 200);
  });
  const switchMode = () => {
    newPart.hidden = existing();
    oldPart.hidden = !existing();
    if (existing() && found.length === 0) void runSearch();
    showPreview();
  };
  modeNew.addEventListener("change", switchMode);
  modeOld.addEventListener("change", switchMode);

  openModal(
    `Save ${who} as a contact`,
    "Save contact",
    [
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Phone number"),
        h("dd", { class: "num" }, who),
        h("dt", {}, "Source"),
        h("dd", {}, n.source || "—"),
        h("dt", {}, "Tag"),
        h("dd", {}, n.tag || "—"),
      ),
      h(
        "fieldset",
        { class: "modes" },
        h("legend", {}, "Add the caller"),
        h("label", { class: "choice" }, modeNew, "As a new contact"),
        h("label", { class: "choice" }, modeOld, "To an existing contact"),
      ),
      newPart,
      oldPart,
      h(
        "div",
        { class: "rules", role: "note", "aria-label": "Source and Tag rules" },
        preview,
        h("p", { class: "hint" }, "A contact has one Source and many Tags. Saving claims this follow-up."),
      ),
    ],
    async (p) => {
      try {
        if (existing()) {
          if (!picked) {
            p.error.textContent = "Choose one of your contacts.";
            return false;
          }
          outcome = await api.associate(n.id, picked.id);
        } else {
          const v = name.value.trim();
          if (!v) {
            p.error.textContent = "Enter the contact's name.";
            name.focus();
            return false;
          }
          outcome = await api.createContact(n.id, v);
        }
        return true;
      } catch (err) {
        const aboutContact = err instanceof ApiError && err.body.field === "contact_id";
        if (err instanceof ApiError && (err.status === 409 || err.status === 404) && !aboutContact) {
          const by = typeof err.body.claimed_by === "string" ? err.body.claimed_by : undefined;
          outcome = { lost: { claimedBy: by } };
          return true;
        }
        p.error.textContent = `Not saved: ${(err as Error).message}`;
        return false;
      }
    },
    () => done(outcome),
  );
  showPreview();
  name.focus();
}

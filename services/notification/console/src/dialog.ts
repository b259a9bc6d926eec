// A modal built on <dialog> (role "dialog", focus trapped and restored by the browser, Escape
// closes): a title, a body, an error line (role "alert") and the form's buttons.
import { h } from "./dom";

let serial = 0;

export interface ModalParts {
  dialog: HTMLDialogElement;
  form: HTMLFormElement;
  error: HTMLElement;
  submit: HTMLButtonElement;
  /** Closes and removes the dialog; the opener gets focus back. */
  close(): void;
}

/**
 * Opens a modal titled `title` holding `body`; `onSubmit` runs on the submit button or Enter and
 * closes the dialog when it resolves true. `onClosed` runs once, however it closes.
 */
export function openModal(
  title: string,
  submitLabel: string,
  body: Node[],
  onSubmit: (parts: ModalParts) => Promise<boolean>,
  onClosed: () => void = () => undefined,
): ModalParts {
  const id = `modal-${++serial}`;
  const opener = document.activeElement as HTMLElement | null;
  const error = h("p", { class: "error", role: "alert", id: `${id}-error` });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const cancel = h("button", { type: "button", class: "ghost" }, "Cancel");
  const form = h(
    "form",
    { method: "dialog", "aria-describedby": `${id}-error` },
    ...body,
    error,
    h("div", { class: "dialog-actions" }, submit, cancel),
  );
  const dialog = h(
    "dialog",
    { class: "modal", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    form,
  );
  let closed = false;
  const parts: ModalParts = {
    dialog,
    form,
    error,
    submit,
    close() {
      if (closed) return;
      closed = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      opener?.focus();
      onClosed();
    },
  };
  cancel.addEventListener("click", () => parts.close());
  dialog.addEventListener("close", () => parts.close());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    error.textContent = "";
    onSubmit(parts)
      .then((done) => {
        if (done) parts.close();
      })
      .catch((err: unknown) => {
        error.textContent = (err as Error).message;
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  document.body.append(dialog);
  dialog.showModal();
  return parts;
}

/** A labelled field: <label for> + control (+ an optional hint tied by aria-describedby). */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `field-${++serial}`;
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

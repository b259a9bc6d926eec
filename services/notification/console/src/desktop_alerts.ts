// Desktop alerts for new missed calls and texts from unknown numbers: a system notification and a
// short sound, once the agent turns them on (the browser asks for the permission then; it cannot
// be asked without a click). The sound is bundled (alert.wav, ~2 KB): nothing comes from elsewhere.
import alertSound from "./alert.wav";
import type { Notification as FollowUp } from "./api";
import { h } from "./dom";
import { kindLabel, phone } from "./format";

const PREF_KEY = "callmesh.console.desktopAlerts";

export class DesktopAlerts {
  readonly root: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly state: HTMLElement;
  private readonly audio: HTMLAudioElement;
  private on = false;

  constructor() {
    this.audio = h("audio", { src: alertSound, preload: "auto", class: "alert-sound" });
    this.button = h(
      "button",
      { type: "button", "aria-pressed": "false", onclick: () => void this.toggle() },
      "Desktop alerts",
    );
    this.state = h("p", { class: "note", id: "alerts-note", "aria-live": "polite" });
    this.button.setAttribute("aria-describedby", "alerts-note");
    this.root = h("div", { class: "alerts" }, this.button, this.state, this.audio);
    this.on = localStorage.getItem(PREF_KEY) === "on" && this.permission() === "granted";
    this.show();
  }

  private permission(): NotificationPermission | "unsupported" {
    return "Notification" in window ? Notification.permission : "unsupported";
  }

  private async toggle(): Promise<void> {
    if (this.on) {
      this.on = false;
      localStorage.setItem(PREF_KEY, "off");
      this.show();
      return;
    }
    if (this.permission() === "unsupported") {
      this.show("This browser cannot show desktop notifications.");
      return;
    }
    const p = this.permission() === "granted" ? "granted" : await Notification.requestPermission();
    if (p !== "granted") {
      this.show("The browser blocked notifications for this site; allow them in its site settings.");
      return;
    }
    this.on = true;
    localStorage.setItem(PREF_KEY, "on");
    this.show();
    // Played once now, inside the click: browsers let a page play sound after a user gesture,
    // and the agent hears what a new missed call will sound like.
    void this.ring();
  }

  private show(problem = ""): void {
    this.button.setAttribute("aria-pressed", String(this.on));
    this.button.textContent = this.on ? "Desktop alerts on" : "Turn on desktop alerts";
    this.state.classList.toggle("error", problem !== "");
    this.state.textContent =
      problem ||
      (this.on
        ? "A new missed call or text shows a desktop notification with a sound."
        : "Off: new missed calls show here only.");
  }

  private async ring(): Promise<void> {
    try {
      this.audio.currentTime = 0;
      await this.audio.play();
    } catch {
      // Autoplay refused (no gesture yet) or no audio device: the notification still shows.
    }
  }

  /** A follow-up just arrived on the stream (not on a re-read). */
  arrived(n: FollowUp): void {
    if (!this.on || this.permission() !== "granted" || n.state !== "unclaimed") return;
    const what = kindLabel(n.kind);
    try {
      const note = new Notification(`${what} from ${phone(n.caller)}`, {
        body: [`To ${phone(n.number)}`, n.source].filter(Boolean).join(" · "),
        tag: `callmesh-${n.id}`, // one per record, even with several tabs open
        icon: "/favicon.svg",
      });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    } catch {
      // Some browsers only allow notifications from a service worker: the page still lists it.
    }
    void this.ring();
  }
}

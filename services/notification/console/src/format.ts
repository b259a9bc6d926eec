// Display helpers shared by the views.
import type { Availability } from "./api";

export const AVAILABILITY_LABEL: Record<Availability, string> = {
  available: "Available",
  away: "Away",
  dnd: "Do not disturb",
  offline: "Offline",
};

export function availabilityLabel(a: string): string {
  return (AVAILABILITY_LABEL as Record<string, string>)[a] ?? a;
}

/** "+15557770000" -> "+1 555 777 0000" for NANP numbers; other numbers unchanged. */
export function phone(n: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(n);
  return m ? `+1 ${m[1]} ${m[2]} ${m[3]}` : n;
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 10) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 24) return `${hrs} h ago`;
  return new Date(ms).toLocaleDateString();
}

export function duration(fromMs: number, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - fromMs) / 1000));
  const mm = Math.floor(s / 60);
  const ss = String(s % 60).padStart(2, "0");
  return `${mm}:${ss}`;
}

export function kindLabel(kind: string): string {
  return kind === "text" ? "Text" : kind === "answered_call" ? "Answered call" : "Missed call";
}

/** "2026-02-03 14:05:09" in the browser's time zone: a full date, the same in every locale. */
export function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

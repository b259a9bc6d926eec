// What every console browser test file shares: a private cluster (cluster_ctl.py), one headless
// Chromium, signed-in pages, `step` (a test that leaves screenshots and page text when it fails)
// and a bearer-token API client. Each *.test.mjs file gets its own cluster and browser.
//
// Environment: CONSOLE_DIR (built console, required), CALLMESH_BUILD_DIR (services),
// CHROMIUM (default /usr/bin/chromium), CONSOLE_SCREENSHOTS (a directory: save views there).
import { after, before, test } from "node:test";
import { mkdir, writeFile } from "node:fs/promises";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SHOTS = process.env.CONSOLE_SCREENSHOTS || "";
export const CALLER = "+1 555 777 0000"; // tests/e2e/sipp/uac_*.xml From: +15557770000, as shown

// Chromium as cpp.md says works here: no sandbox (root), no GPU, nothing talking to Google.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// On failure, what every page looked like: screenshots and text next to the build.
const FAILURES = path.join(
  process.env.CALLMESH_BUILD_DIR || path.join(HERE, "..", "..", "build"),
  "console-failures",
);

/** cluster_ctl.py: one JSON command per line, one JSON answer per line. */
class ClusterControl {
  constructor(consoleDir) {
    this.proc = spawn("python3", [path.join(HERE, "cluster_ctl.py"), consoleDir], {
      stdio: ["pipe", "pipe", "inherit"],
      env: process.env,
    });
    this.waiting = [];
    this.lines = createInterface({ input: this.proc.stdout });
    this.lines.on("line", (line) => {
      const next = this.waiting.shift();
      if (next) next(JSON.parse(line));
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", resolve));
  }
  read() {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.exited.then(() => reject(new Error("cluster_ctl.py exited")));
    });
  }
  async send(cmd) {
    const answer = this.read();
    this.proc.stdin.write(JSON.stringify(cmd) + "\n");
    const a = await answer;
    if (a.error) throw new Error(`cluster: ${a.error}`);
    return a;
  }
  async stop() {
    if (this.proc.exitCode !== null) return;
    this.proc.stdin.end(JSON.stringify({ op: "stop" }) + "\n");
    const timer = setTimeout(() => this.proc.kill("SIGTERM"), 15000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A raw GET: the path goes out exactly as written (no URL normalisation of "..", "%2e"). */
export function rawGet(base, rawPath, headers = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: "GET", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout GET ${rawPath}`)));
    req.end();
  });
}

export async function until(what, fn, timeoutMs = 10000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Starts the cluster and the browser before the file's tests and stops both after. Returns the
 * shared state: `t.cluster` ({api, tokens, company, tracking, dir}), `t.ctl`, `t.pages`, and
 * signIn / step / api helpers.
 */
export function consoleSuite() {
  const t = { pages: {}, ctl: undefined, cluster: undefined, browser: undefined };

  t.signIn = async (who, { keyboardOnly = false, context = {}, initScript } = {}) => {
    const ctx = await t.browser.newContext({
      viewport: { width: 1280, height: 820 },
      locale: "en-GB",
      timezoneId: "UTC", // the history's dates are asserted as UTC
      ...context,
    });
    if (initScript) await ctx.addInitScript(initScript);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => console.error(`[${who} page error]`, e));
    await page.goto(t.cluster.api + "/");
    const token = t.cluster.tokens[who];
    if (keyboardOnly) {
      // The token field has focus on load; Enter submits: no mouse needed.
      await page.keyboard.type(token);
      await page.keyboard.press("Enter");
    } else {
      await page.getByLabel("Access token").fill(token);
      await page.getByRole("button", { name: "Sign in" }).click();
    }
    await page.locator("#who", { hasText: who === "admin" ? "root" : who }).waitFor();
    await page.locator('#live-status[data-state="live"]').waitFor();
    // The first read of the lists is done: from here on, what the page shows is live.
    await page.locator("[data-view][data-ready]").waitFor();
    t.pages[who] = page;
    return page;
  };

  /** The API as `who` (a token name): {status, body}. */
  t.api = async (who, method, apiPath, body) => {
    const res = await fetch(t.cluster.api + apiPath, {
      method,
      headers: {
        Authorization: `Bearer ${t.cluster.tokens[who]}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };

  // redis-cli's output as text (several replies: one per line).
  t.redis = async (...args) => (await t.ctl.send({ op: "redis", args })).reply;

  // test() whose failure leaves screenshots and page text in FAILURES.
  t.step = (name, fn) =>
    test(name, async () => {
      try {
        await fn();
      } catch (err) {
        await mkdir(FAILURES, { recursive: true });
        for (const [who, page] of Object.entries(t.pages)) {
          const base = path.join(FAILURES, `${name.slice(0, 40).replace(/\W+/g, "_")}-${who}`);
          await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
          const text = await page
            .locator("body")
            .innerText()
            .catch(() => "");
          await writeFile(`${base}.txt`, text).catch(() => {});
        }
        console.error(
          `# page screenshots and text: ${FAILURES}; cluster logs: ${t.cluster?.dir} (kept with CALLMESH_KEEP_E2E_DIR=1)`,
        );
        throw err;
      }
    });

  /** A screenshot for docs/console/ when the run was asked for them (--screenshots). */
  t.shot = async (page, name, target) => {
    if (!SHOTS) return;
    await (target ?? page).screenshot({
      path: path.join(SHOTS, `${name}.png`),
      ...(target ? {} : { fullPage: true }),
    });
  };

  before(async () => {
    const consoleDir = process.env.CONSOLE_DIR;
    assert.ok(consoleDir, "CONSOLE_DIR (the built console) must be set");
    t.ctl = new ClusterControl(consoleDir);
    const ready = await t.ctl.read();
    if (!ready.ready) throw new Error(`cluster did not start: ${JSON.stringify(ready)}`);
    t.cluster = ready.ready;
    t.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    await t.browser?.close();
    await t.ctl?.stop();
  });

  return t;
}

// The agent console end to end (issue 6, seed 004_ee4e98a6a7f6781b.txt): two agents in two browser
// contexts and an admin in a third, against a real cluster (tests/e2e/cluster.py via
// cluster_ctl.py) with calls placed by SIPp. Run by run_console_tests.sh (ctest: console_e2e).
//
// Environment: CONSOLE_DIR (built console, required), CALLMESH_BUILD_DIR (services),
// CHROMIUM (default /usr/bin/chromium), CONSOLE_SCREENSHOTS (a directory: save agent.png and
// admin.png there).
import { after, before, describe, test } from "node:test";
import { mkdir, writeFile } from "node:fs/promises";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONSOLE_DIR = process.env.CONSOLE_DIR;
const SHOTS = process.env.CONSOLE_SCREENSHOTS || "";
const CALLER = "+1 555 777 0000"; // tests/e2e/sipp/uac_*.xml From: +15557770000, as the page shows it

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
function rawGet(base, rawPath, headers = {}) {
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

async function until(what, fn, timeoutMs = 10000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// On failure, what every page looked like: screenshots and text next to the build.
const FAILURES = path.join(
  process.env.CALLMESH_BUILD_DIR || path.join(HERE, "..", "..", "build"),
  "console-failures",
);

describe("agent console", { concurrency: false }, () => {
  let ctl;
  let cluster; // {api, tokens, company, dir}
  let browser;
  const pages = {}; // alice, bob, admin

  const followups = (who) => pages[who].locator("#followups li.card");
  const claimed = (who) => pages[who].locator("#claimed li.card");

  async function signIn(who, { keyboardOnly = false } = {}) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 820 },
    });
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`[${who} page error]`, e));
    await page.goto(cluster.api + "/");
    const token = cluster.tokens[who];
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
    pages[who] = page;
    return page;
  }

  // test() whose failure leaves screenshots and page text in FAILURES.
  function step(name, fn) {
    test(name, async () => {
      try {
        await fn();
      } catch (err) {
        await mkdir(FAILURES, { recursive: true });
        for (const [who, page] of Object.entries(pages)) {
          const base = path.join(FAILURES, `${name.slice(0, 40).replace(/\W+/g, "_")}-${who}`);
          await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
          await writeFile(
            `${base}.txt`,
            await page
              .locator("body")
              .innerText()
              .catch(() => ""),
          ).catch(() => {});
        }
        console.error(
          `# page screenshots and text: ${FAILURES}; cluster logs: ${cluster?.dir} (kept with CALLMESH_KEEP_E2E_DIR=1)`,
        );
        throw err;
      }
    });
  }

  before(async () => {
    assert.ok(CONSOLE_DIR, "CONSOLE_DIR (the built console) must be set");
    ctl = new ClusterControl(CONSOLE_DIR);
    const ready = await ctl.read();
    if (!ready.ready) throw new Error(`cluster did not start: ${JSON.stringify(ready)}`);
    cluster = ready.ready;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    await browser?.close();
    await ctl?.stop();
  });

  step("serves the console with content types and security headers; no traversal", async () => {
    const index = await rawGet(cluster.api, "/");
    assert.equal(index.status, 200);
    assert.match(index.headers["content-type"], /^text\/html/);
    assert.match(index.headers["content-security-policy"], /default-src 'self'/);
    assert.equal(index.headers["x-content-type-options"], "nosniff");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(index.body)?.[1];
    assert.ok(script && style, "index.html links its bundle from /assets/");
    assert.doesNotMatch(index.body, /https?:\/\//, "nothing loaded from another origin");
    const js = await rawGet(cluster.api, script);
    assert.equal(js.status, 200);
    assert.match(js.headers["content-type"], /^text\/javascript/);
    assert.match(js.headers["cache-control"], /immutable/);
    const css = await rawGet(cluster.api, style);
    assert.match(css.headers["content-type"], /^text\/css/);
    assert.equal((await rawGet(cluster.api, "/favicon.svg")).headers["content-type"], "image/svg+xml");
    // cluster.yaml sits next to nothing the console may reach; these must all be plain 404s.
    for (const p of [
      "/../cluster.yaml",
      "/assets/../../cluster.yaml",
      "/assets/..%2f..%2fcluster.yaml",
      "/..%2fcluster.yaml",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/%2e%2e/index.html",
      "/..%5c..%5cetc%5cpasswd",
      "//etc/passwd",
      "/.env",
      "/index.html%00.js",
    ]) {
      const r = await rawGet(cluster.api, p);
      assert.equal(r.status, 404, `${p} -> ${r.status}`);
      assert.doesNotMatch(r.body, /redis:|root:x:|<!doctype/i, `${p} leaked a file`);
    }
    // The API itself is unchanged: still bearer-only, still JSON.
    const me = await rawGet(cluster.api, "/v1/me");
    assert.equal(me.status, 401);
    assert.match(me.headers["content-type"], /application\/json/);
  });

  step("a wrong token is refused with a message; agents sign in (one by keyboard only)", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(cluster.api + "/");
    await page.getByLabel("Access token").fill("not-a-valid-token");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
    await context.close();

    await signIn("alice");
    await signIn("bob", { keyboardOnly: true });
    for (const who of ["alice", "bob"]) {
      const list = pages[who].locator("#followups");
      assert.equal(await list.getAttribute("aria-live"), "polite");
      assert.equal(await followups(who).count(), 0);
    }
  });

  step(
    "an unknown caller's missed call appears on both pages; A claims it; it leaves B's page within 1 s",
    async () => {
      await ctl.send({ op: "phone", who: "alice", scenario: "uas_busy.xml" });
      await ctl.send({ op: "phone", who: "bob", scenario: "uas_busy.xml" });
      const call = await ctl.send({ op: "call", scenario: "uac_reject.xml" });
      assert.equal(call.rc, 0);
      assert.deepEqual(call.finals, ["486"]); // both agents' phones busy: nobody answered
      for (const who of ["alice", "bob"]) {
        await followups(who).first().waitFor({ timeout: 10000 });
        assert.equal(await followups(who).count(), 1);
        await followups(who).filter({ hasText: CALLER }).filter({ hasText: "Missed call" }).waitFor();
      }

      // A claims with the keyboard: focus the button, press Enter.
      const claimButton = pages.alice.getByRole("button", {
        name: `Call back ${CALLER}`,
      });
      await claimButton.focus();
      const claimed200 = pages.alice.waitForResponse(
        (r) => r.url().includes("/claim") && r.request().method() === "POST",
      );
      await pages.alice.keyboard.press("Enter");
      const response = await claimed200;
      const t0 = Date.now();
      assert.equal(response.status(), 200);
      await followups("bob").first().waitFor({ state: "detached", timeout: 1000 });
      const elapsed = Date.now() - t0;
      assert.ok(elapsed <= 1000, `gone from B's page after ${elapsed} ms`);
      console.log(`# withdrawn from bob's page ${elapsed} ms after alice's claim`);
      await pages.bob.getByRole("status").filter({ hasText: "claimed by alice" }).waitFor();
      assert.equal(await followups("alice").count(), 0);
      await claimed("alice").filter({ hasText: "You claimed it (call back)" }).waitFor();
      assert.equal(await claimed("bob").count(), 0);
    },
  );

  step("B sets Away on the page; the next blast rings only A's phone and only A sees it", async () => {
    const away = pages.bob.getByRole("radio", { name: "Away" });
    await away.focus();
    await pages.bob.keyboard.press("Space");
    await pages.bob.locator("#presence-note", { hasText: "You are Away" }).waitFor();
    assert.equal(
      (
        await ctl.send({
          op: "redis",
          args: ["HGET", "cm:agent:{bob}", "availability"],
        })
      ).reply,
      "away",
    );

    const call = await ctl.send({ op: "call", scenario: "uac_reject.xml" });
    assert.deepEqual(call.finals, ["486"]);
    assert.equal(
      (await ctl.send({ op: "count", who: "alice", word: "busy" })).count,
      2,
      "alice's phone rang twice",
    );
    assert.equal(
      (await ctl.send({ op: "count", who: "bob", word: "busy" })).count,
      1,
      "bob's phone rang once, not for the second call",
    );
    await followups("alice").first().waitFor({ timeout: 10000 });
    assert.equal(await followups("alice").count(), 1);
    await new Promise((r) => setTimeout(r, 500)); // give a wrong event time to arrive
    assert.equal(await followups("bob").count(), 0, "bob was not rung, so he does not see it");
  });

  step(
    "the admin sees live calls per number with cap use and every agent's presence; A sees her answered call",
    async () => {
      await signIn("admin");
      const admin = pages.admin;
      await admin.locator('#agents tr[data-agent="bob"]', { hasText: "Away" }).waitFor();
      await admin.locator('#agents tr[data-agent="alice"]', { hasText: "Available" }).waitFor();

      // One call answered by alice on the company number (an agent on a call is busy, so one each)
      // and six calls to the tracking number answered by its front desk, all held for a while.
      await ctl.send({ op: "phone", who: "alice", scenario: "uas_answer.xml" });
      await ctl.send({ op: "phone", who: "front", scenario: "uas_answer.xml" });
      const toAlice = await ctl.send({
        op: "call",
        scenario: "uac_call.xml",
        hold_ms: 6000,
        wait: false,
      });
      const toFront = await ctl.send({
        op: "call",
        to: cluster.tracking,
        scenario: "uac_call.xml",
        calls: 6,
        rate: 50,
        hold_ms: 6000,
        wait: false,
      });
      const company = admin.locator(`#numbers tr[data-number="${cluster.company}"]`);
      const tracking = admin.locator(`#numbers tr[data-number="${cluster.tracking}"]`);
      await company.locator(".cap-text", { hasText: "1/50" }).waitFor({ timeout: 10000 });
      await tracking
        .locator(".cap-text", { hasText: `6/${cluster.tracking_cap}` })
        .waitFor({ timeout: 10000 });
      await until(
        "live-call counts of 1 and 6",
        async () =>
          (await company.locator(".live-count").textContent()) === "1" &&
          (await tracking.locator(".live-count").textContent()) === "6",
      );
      assert.equal(
        await tracking.getByRole("meter").getAttribute("aria-valuetext"),
        `6 of ${cluster.tracking_cap} simultaneous calls`,
      );
      await until(
        "seven live calls listed",
        async () => (await admin.locator("#calls tbody tr[data-call]").count()) === 7,
      );
      await admin.locator("#calls tbody tr[data-call]", { hasText: "alice" }).waitFor();
      await admin
        .locator('#agents tr[data-agent="alice"]', { hasText: "on 1 call" })
        .waitFor({ timeout: 5000 });
      if (SHOTS) {
        await admin.waitForTimeout(2500); // a few seconds of duration on the live calls
        await admin.screenshot({ path: path.join(SHOTS, "admin.png"), fullPage: true });
      }

      for (const held of [toAlice, toFront]) {
        const done = await ctl.send({ op: "wait_call", call: held.call });
        assert.equal(done.rc, 0);
      }
      // An answered call from an unknown number is a record of the answering agent only.
      await pages.alice
        .locator("#records tbody tr[data-id]", { hasText: CALLER })
        .waitFor({ timeout: 10000 });
      assert.equal(await pages.alice.locator("#records tbody tr[data-id]").count(), 1);
      assert.equal(await pages.bob.locator("#records tbody tr[data-id]").count(), 0);
      await company.locator(".cap-text", { hasText: "0/50" }).waitFor({ timeout: 10000 });
      await tracking
        .locator(".cap-text", { hasText: `0/${cluster.tracking_cap}` })
        .waitFor({ timeout: 10000 });
      await admin.locator('#agents tr[data-agent="alice"]', { hasText: "idle" }).waitFor({ timeout: 5000 });
      if (SHOTS)
        await pages.alice.screenshot({
          path: path.join(SHOTS, "agent.png"),
          fullPage: true,
        });
    },
  );
});

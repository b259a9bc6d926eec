// The agent console end to end (issue 6, seed 004_ee4e98a6a7f6781b.txt): two agents in two browser
// contexts and an admin in a third, against a real cluster (tests/e2e/cluster.py via
// cluster_ctl.py) with calls placed by SIPp. Run by run_console_tests.sh (ctest: console_e2e).
// Shared setup in harness.mjs; the issue 17 features are in agent_features.test.mjs and
// admin_features.test.mjs.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { CALLER, SHOTS, consoleSuite, rawGet, until } from "./harness.mjs";

describe("agent console", { concurrency: false }, () => {
  const t = consoleSuite();
  const { step, signIn } = t;
  const pages = t.pages;
  const ctl = { send: (cmd) => t.ctl.send(cmd) };
  const followups = (who) => pages[who].locator("#followups li.card");
  const claimed = (who) => pages[who].locator("#claimed li.card");

  step("serves the console with content types and security headers; no traversal", async () => {
    const index = await rawGet(t.cluster.api, "/");
    assert.equal(index.status, 200);
    assert.match(index.headers["content-type"], /^text\/html/);
    assert.match(index.headers["content-security-policy"], /default-src 'self'/);
    assert.equal(index.headers["x-content-type-options"], "nosniff");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(index.body)?.[1];
    assert.ok(script && style, "index.html links its bundle from /assets/");
    assert.doesNotMatch(index.body, /https?:\/\//, "nothing loaded from another origin");
    const js = await rawGet(t.cluster.api, script);
    assert.equal(js.status, 200);
    assert.match(js.headers["content-type"], /^text\/javascript/);
    assert.match(js.headers["cache-control"], /immutable/);
    const css = await rawGet(t.cluster.api, style);
    assert.match(css.headers["content-type"], /^text\/css/);
    assert.equal((await rawGet(t.cluster.api, "/favicon.svg")).headers["content-type"], "image/svg+xml");
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
      const r = await rawGet(t.cluster.api, p);
      assert.equal(r.status, 404, `${p} -> ${r.status}`);
      assert.doesNotMatch(r.body, /redis:|root:x:|<!doctype/i, `${p} leaked a file`);
    }
    // The API itself is unchanged: still bearer-only, still JSON.
    const me = await rawGet(t.cluster.api, "/v1/me");
    assert.equal(me.status, 401);
    assert.match(me.headers["content-type"], /application\/json/);
  });

  step("a wrong token is refused with a message; agents sign in (one by keyboard only)", async () => {
    const context = await t.browser.newContext();
    const page = await context.newPage();
    await page.goto(t.cluster.api + "/");
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
      await claimed("alice").filter({ hasText: "Claimed by you: called back" }).waitFor();
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
    // seed 004_ee4e98a6a7f6781b.txt: "all users can see the record of the missed call", but only
    // the selected (here: rung) agents act on it: bob sees the card without its claim actions.
    await followups("bob").first().waitFor({ timeout: 10000 });
    assert.equal(await followups("bob").count(), 1);
    assert.equal(await followups("bob").first().getByRole("button", { name: /Call back/ }).count(), 0);
    assert.equal(await followups("alice").first().getByRole("button", { name: /Call back/ }).count(), 1);
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
        to: t.cluster.tracking,
        scenario: "uac_call.xml",
        calls: 6,
        rate: 50,
        hold_ms: 6000,
        wait: false,
      });
      const company = admin.locator(`#numbers tr[data-number="${t.cluster.company}"]`);
      const tracking = admin.locator(`#numbers tr[data-number="${t.cluster.tracking}"]`);
      await company.locator(".cap-text", { hasText: "1/50" }).waitFor({ timeout: 10000 });
      await tracking
        .locator(".cap-text", { hasText: `6/${t.cluster.tracking_cap}` })
        .waitFor({ timeout: 10000 });
      await until(
        "live-call counts of 1 and 6",
        async () =>
          (await company.locator(".live-count").textContent()) === "1" &&
          (await tracking.locator(".live-count").textContent()) === "6",
      );
      assert.equal(
        await tracking.getByRole("meter").getAttribute("aria-valuetext"),
        `6 of ${t.cluster.tracking_cap} simultaneous calls`,
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
        await t.shot(admin, "admin");
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
        .locator(".cap-text", { hasText: `0/${t.cluster.tracking_cap}` })
        .waitFor({ timeout: 10000 });
      await admin.locator('#agents tr[data-agent="alice"]', { hasText: "idle" }).waitFor({ timeout: 5000 });
      await t.shot(pages.alice, "agent");
    },
  );
});

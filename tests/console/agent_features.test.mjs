// What an agent does with a follow-up (issue 17 point 9, seed 004_ee4e98a6a7f6781b.txt), in a real
// browser against a real cluster with SIPp calls: desktop alerts with sound, text back from a card,
// a contact made or associated from a missed call with the seed's Source & Tag rules shown, and
// the history with dates, search and pages. Each step asserts what the page shows and then what
// the API, Redis and the SMS gateway hold.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { consoleSuite, until } from "./harness.mjs";

// Recorded in the page before its own scripts run: every desktop Notification constructed and
// every sound played (src, and whether play() resolved: the sound really started).
function recordAlerts() {
  window.__desktop = [];
  window.__played = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      window.__desktop.push({ title, body: options?.body, tag: options?.tag });
      super(title, options);
    }
  };
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    const entry = { src: this.currentSrc || this.src, ok: null };
    window.__played.push(entry);
    const p = play.call(this);
    p.then(
      () => (entry.ok = true),
      (e) => (entry.ok = String(e)),
    );
    return p;
  };
}

const shown = (e164) => e164.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, "+1 $1 $2 $3");
const utcStamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

describe("agent features", { concurrency: false }, () => {
  const t = consoleSuite();
  const { step } = t;
  const card = (who, list, id) => t.pages[who].locator(`#${list} li.card[data-id="${id}"]`);
  const missedFrom = async (caller) => {
    const call = await t.ctl.send({ op: "call", scenario: "uac_reject_from.xml", caller });
    assert.deepEqual(call.finals, ["486"], "both agents' phones busy: nobody answered");
    // The record is written when the ingress's end event reaches notification: a moment after.
    return until(`a missed call from ${caller} for alice`, async () => {
      const { body } = await t.api("alice", "GET", "/v1/notifications");
      return body.notifications.find((x) => x.caller === caller && x.state === "unclaimed");
    });
  };

  step("alice turns desktop alerts on; the browser grants it and the alert sound plays", async () => {
    await t.ctl.send({ op: "phone", who: "alice", scenario: "uas_busy.xml" });
    await t.ctl.send({ op: "phone", who: "bob", scenario: "uas_busy.xml" });
    await t.ctl.send({ op: "phone", who: "gateway", scenario: "uas_text_gateway_body.xml" });
    const alice = await t.signIn("alice", {
      context: { permissions: ["notifications"] },
      initScript: recordAlerts,
    });
    await t.signIn("bob");
    const toggle = alice.getByRole("button", { name: "Turn on desktop alerts" });
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    await toggle.click();
    const on = alice.getByRole("button", { name: "Desktop alerts on" });
    assert.equal(await on.getAttribute("aria-pressed"), "true");
    await alice.locator("#alerts-note", { hasText: "desktop notification with a sound" }).waitFor();
    const played = await until("the sample sound", () =>
      alice.evaluate(() => window.__played.length === 1 && window.__played[0].ok !== null && window.__played),
    );
    assert.match(played[0].src, /\/assets\/alert-[\w-]+\.wav$/);
    assert.equal(played[0].ok, true, "play() resolved: the sound started");
    const wav = await fetch(played[0].src);
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get("content-type"), "audio/wav");
  });

  step("a new missed call shows a desktop notification and plays the sound (seed 004)", async () => {
    const n = await missedFrom("+15557770101");
    await card("alice", "followups", n.id).waitFor();
    const desktop = await until("a desktop notification", () =>
      t.pages.alice.evaluate(() => window.__desktop.length > 0 && window.__desktop),
    );
    assert.deepEqual(desktop, [
      {
        title: "Missed call from +1 555 777 0101",
        body: "To +15550200 · Company line",
        tag: `callmesh-${n.id}`,
      },
    ]);
    const played = await until("the alert sound", () =>
      t.pages.alice.evaluate(
        () => window.__played.length === 2 && window.__played[1].ok !== null && window.__played,
      ),
    );
    assert.equal(played[1].ok, true);
    await t.shot(t.pages.alice, "agent-alerts");
  });

  step("text back from a card: compose, send; alice holds the claim; bob's page loses it", async () => {
    const n = (await t.api("alice", "GET", "/v1/notifications")).body.notifications.find(
      (x) => x.caller === "+15557770101",
    );
    await card("bob", "followups", n.id).waitFor();
    await card("alice", "followups", n.id).getByRole("button", { name: "Text back +1 555 777 0101" }).click();
    const dialog = t.pages.alice.getByRole("dialog", { name: "Text back +1 555 777 0101" });
    const text = "Hello from Alice at callmesh, returning your call";
    await dialog.getByRole("textbox", { name: "Message" }).fill(text);
    await dialog.getByText(`${text.length} / 1600`).waitFor();
    await dialog.getByRole("combobox", { name: "Send from" }).selectOption("personal");
    await t.shot(t.pages.alice, "text-back");
    const sent = t.pages.alice.waitForResponse((r) =>
      r.url().endsWith(`/v1/notifications/${encodeURIComponent(n.id)}/text`),
    );
    await dialog.getByRole("button", { name: "Send text" }).click();
    assert.equal((await sent).status(), 200);
    await dialog.waitFor({ state: "detached" });
    await card("alice", "claimed", n.id).filter({ hasText: "Claimed by you: texted back" }).waitFor();
    await card("bob", "followups", n.id).waitFor({ state: "detached", timeout: 1000 });
    assert.equal(await card("alice", "followups", n.id).count(), 0);
    // What the gateway got: from alice's personal number (seed 004 manual texts), to the caller.
    const lines = async (word) => (await t.ctl.send({ op: "lines", who: "gateway", word })).lines;
    await until("the gateway's log", async () => (await lines("text")).length === 1, 5000);
    assert.deepEqual(await lines("text"), [text]);
    assert.deepEqual(await lines("from"), ["+15550301"]);
    assert.deepEqual(await lines("to"), ["+15557770101"]);
    assert.equal(await t.redis("HGET", `cm:notif:{${n.id}}`, "claimed_by"), "alice");
    assert.equal(await t.redis("HGET", `cm:notif:{${n.id}}`, "claim_action"), "text_back");
    assert.equal((await t.api("bob", "GET", `/v1/notifications/${n.id}`)).status, 404);
  });

  step("a missed call becomes a new contact: Source from the number, its Tag added (seed 004)", async () => {
    const n = await missedFrom("+15557770102");
    await card("bob", "followups", n.id).waitFor();
    await card("alice", "followups", n.id)
      .getByRole("button", { name: "Save +1 555 777 0102 as a contact" })
      .click();
    const dialog = t.pages.alice.getByRole("dialog", { name: "Save +1 555 777 0102 as a contact" });
    const rules = dialog.getByRole("note", { name: "Source and Tag rules" });
    assert.equal(
      await dialog.locator(".facts").innerText(),
      "Phone number\n+1 555 777 0102\nSource\nCompany line\nTag\nwebsite",
    );
    assert.equal(
      await rules.locator(".rule-preview").textContent(),
      "Source will be “Company line”. Tag “website” is added.",
    );
    await dialog.getByRole("textbox", { name: "Contact name" }).fill("Pat Caller");
    await t.shot(t.pages.alice, "contact-new");
    await dialog.getByRole("button", { name: "Save contact" }).click();
    await dialog.waitFor({ state: "detached" });
    await card("alice", "claimed", n.id)
      .filter({ hasText: "Claimed by you: added as a contact" })
      .filter({ hasText: "Contact: Pat Caller · Source: Company line · Tags: website" })
      .waitFor();
    await card("bob", "followups", n.id).waitFor({ state: "detached", timeout: 1000 });
    const ids = (await t.redis("SMEMBERS", "cm:contacts:number:{+15557770102}")).split("\n").filter(Boolean);
    assert.equal(ids.length, 1);
    const c = (await t.api("admin", "GET", `/v1/contacts/${ids[0]}`)).body;
    assert.deepEqual(
      { name: c.name, numbers: c.numbers, source: c.source, tags: c.tags, primary_agent: c.primary_agent },
      {
        name: "Pat Caller",
        numbers: ["+15557770102"],
        source: "Company line",
        tags: ["website"],
        primary_agent: "alice",
      },
    );
    assert.equal(await t.redis("HGET", `cm:notif:{${n.id}}`, "claim_action"), "create_contact");
  });

  step(
    "a missed call is associated with alice's existing contact: Source stays, Tags added (seed 004)",
    async () => {
      const mk = async (body) => (await t.api("admin", "POST", "/v1/contacts", body)).body;
      const dana = await mk({
        name: "Dana Smith",
        numbers: ["+15550999"],
        primary_agent: "alice",
        source: "Referral",
        tags: ["vip"],
      });
      await mk({
        name: "Dana Bobson",
        numbers: ["+15550998"],
        primary_agent: "bob",
        source: "Referral",
        tags: [],
      });
      const n = await missedFrom("+15557770103");
      await card("alice", "followups", n.id)
        .getByRole("button", { name: "Save +1 555 777 0103 as a contact" })
        .click();
      const dialog = t.pages.alice.getByRole("dialog", { name: "Save +1 555 777 0103 as a contact" });
      await dialog.getByRole("radio", { name: "To an existing contact" }).check();
      await dialog.getByRole("searchbox", { name: "Search your contacts" }).fill("dana");
      // Only alice's own contacts: bob's Dana is not offered.
      const choices = dialog.locator(".contact-results label");
      await until(
        "one search result",
        async () => (await choices.count()) === 1 && (await choices.innerText()).includes("Dana"),
      );
      assert.equal(await choices.innerText(), "Dana Smith · +15550999 · Source: Referral");
      const preview = dialog.locator(".rule-preview");
      assert.equal(await preview.textContent(), "Choose a contact.");
      await dialog.getByRole("radio", { name: "Dana Smith · +15550999 · Source: Referral" }).check();
      assert.equal(
        await preview.textContent(),
        "Source stays “Referral”; “Company line” and “website” are added as Tags.",
      );
      await t.shot(t.pages.alice, "contact-associate");
      await dialog.getByRole("button", { name: "Save contact" }).click();
      await dialog.waitFor({ state: "detached" });
      await card("alice", "claimed", n.id)
        .filter({ hasText: "Contact: Dana Smith · Source: Referral · Tags: vip, Company line, website" })
        .waitFor();
      const c = (await t.api("admin", "GET", `/v1/contacts/${dana.id}`)).body;
      assert.deepEqual(
        { numbers: c.numbers, source: c.source, tags: c.tags },
        {
          numbers: ["+15550999", "+15557770103"],
          source: "Referral",
          tags: ["vip", "Company line", "website"],
        },
      );
      assert.equal(await t.redis("HGET", `cm:notif:{${n.id}}`, "claim_action"), "associate_contact");
    },
  );

  step("history: full dates, newest first, pages of 10, search by number and by what was done", async () => {
    const call = await t.ctl.send({
      op: "call",
      scenario: "uac_reject_from.xml",
      caller: "+15557770200",
      calls: 9,
    });
    assert.equal(call.finals.length, 9);
    const alice = t.pages.alice;
    const calls = alice.locator("#followups li.card", { hasText: "+1 555 777 0200" });
    await until("nine new cards", async () => (await calls.count()) === 9);
    for (let i = 0; i < 9; i++) {
      const done = alice.waitForResponse((r) => r.url().endsWith("/claim"));
      await calls.first().getByRole("button", { name: "Call back +1 555 777 0200" }).click();
      assert.equal((await done).status(), 200);
      await until("the card to leave", async () => (await calls.count()) === 8 - i);
    }
    const mine = (await t.api("alice", "GET", "/v1/notifications")).body.notifications
      .filter((x) => x.claimed_by === "alice")
      .sort((a, b) => b.claimed_at_ms - a.claimed_at_ms);
    assert.equal(mine.length, 12);
    const rows = alice.locator("#history tbody tr[data-id]");
    const status = alice.locator("#history-status");
    await until("page 1 of 2", async () => (await status.textContent()) === "Page 1 of 2 · 1–10 of 12");
    const pageShows = async (expected) => {
      assert.deepEqual(
        await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.id)),
        expected.map((x) => x.id),
      );
      const dates = await rows.locator("td:first-child time").allTextContents();
      assert.deepEqual(
        dates,
        expected.map((x) => utcStamp(x.claimed_at_ms)),
      );
    };
    await pageShows(mine.slice(0, 10));
    assert.equal(await rows.first().locator("td").nth(4).textContent(), "Called back");
    await t.shot(alice, "history", alice.getByRole("region", { name: "History" }));
    await alice.getByRole("button", { name: "Next page" }).click();
    assert.equal(await status.textContent(), "Page 2 of 2 · 11–12 of 12");
    await pageShows(mine.slice(10));
    assert.equal(await alice.getByRole("button", { name: "Next page" }).isDisabled(), true);
    const search = alice.getByRole("searchbox", { name: "Search history" });
    await search.fill("777 0102");
    assert.equal(await status.textContent(), "Page 1 of 1 · 1–1 of 1");
    assert.deepEqual(await rows.locator("td").allTextContents(), [
      utcStamp(mine.find((x) => x.caller === "+15557770102").claimed_at_ms),
      "Missed call",
      shown("+15557770102"),
      "+15550200",
      "Added as a contact",
    ]);
    await search.fill("texted");
    assert.equal(await rows.count(), 1);
    assert.equal(
      await rows.first().getAttribute("data-id"),
      mine.find((x) => x.caller === "+15557770101").id,
    );
    await search.fill(utcStamp(mine[0].claimed_at_ms).slice(0, 10)); // today's date: everything
    assert.equal(await status.textContent(), "Page 1 of 2 · 1–10 of 12");
    await search.fill("nothing-like-this");
    assert.equal(await alice.locator("#history tbody").innerText(), "Nothing matches the search.");
    await search.fill("");
  });
});

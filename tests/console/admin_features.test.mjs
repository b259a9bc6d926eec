// What an admin expects (issue 17 point 9, seed 004_ee4e98a6a7f6781b.txt): live calls with the
// caller, the routing rule and the agents whose phones ring; editing a company number's settings,
// which only the Team Owner/Admin may do ("Only the Team Owner/Admin can edit Company Number
// settings"): an agent's page has no such control and the API refuses an agent with 403.
import { describe } from "node:test";
import assert from "node:assert/strict";
import { consoleSuite, until } from "./harness.mjs";

const SETTINGS = "cm:number:{+15550200}:settings";

describe("admin features", { concurrency: false }, () => {
  const t = consoleSuite();
  const { step } = t;

  step("live calls show the caller, the rule that planned the call and the agents ringing", async () => {
    await t.ctl.send({ op: "phone", who: "alice", scenario: "uas_ring_forever.xml" });
    await t.ctl.send({ op: "phone", who: "bob", scenario: "uas_ring_forever.xml" });
    const admin = await t.signIn("admin");
    // seed 004 "Blast Alert": the unknown caller rings every selected available agent at once.
    const call = await t.ctl.send({
      op: "call",
      scenario: "uac_reject_from.xml",
      caller: "+15557770301",
      wait: false,
    });
    const row = admin.locator("#calls tbody tr[data-call]");
    await until(
      "both phones ringing in the live view",
      async () =>
        (await row.count()) === 1 && (await row.locator("td.ringing").textContent()) === "alice, bob",
    );
    assert.deepEqual(
      await row
        .locator("td")
        .allTextContents()
        .then((cells) => cells.slice(0, 6)),
      ["+1 555 777 0301", "+15550200", "company_default_rule", "Ringing", "alice, bob", "—"],
    );
    const id = await row.getAttribute("data-call");
    assert.equal(await t.redis("HGET", `cm:call:{${id}}:presence`, "caller"), "+15557770301");
    assert.equal(await t.redis("HGET", `cm:call:{${id}}:presence`, "rule"), "company_default_rule");
    const api = (await t.api("admin", "GET", "/v1/calls")).body.calls;
    assert.deepEqual(
      api.map((c) => ({ caller: c.caller, rule: c.rule, ringing: c.ringing, state: c.state })),
      [{ caller: "+15557770301", rule: "company_default_rule", ringing: ["alice", "bob"], state: "offered" }],
    );
    await t.shot(admin, "live-calls");
    // The 5 s ring timeout (cluster_ctl.py) ends it unanswered; the row goes.
    const done = await t.ctl.send({ op: "wait_call", call: call.call });
    assert.equal(done.rc, 0);
    assert.deepEqual(done.finals, ["486"], "nobody answered: the plan's final status");
    await admin
      .locator("#calls tbody td.empty", { hasText: "No calls right now." })
      .waitFor({ timeout: 5000 });
  });

  step("the admin edits a company number's Source, Tag and selected agents", async () => {
    const admin = t.pages.admin;
    const row = admin.locator('#numbers tr[data-number="+15550200"]');
    await row.getByRole("button", { name: "Edit settings of +15550200" }).click();
    const dialog = admin.getByRole("dialog", { name: "Settings of +15550200" });
    assert.equal(await dialog.getByRole("textbox", { name: "Source" }).inputValue(), "Company line");
    assert.equal(await dialog.getByRole("textbox", { name: "Tag" }).inputValue(), "website");
    assert.equal(await dialog.getByRole("checkbox", { name: "alice" }).isChecked(), true);
    assert.equal(await dialog.getByRole("checkbox", { name: "bob" }).isChecked(), true);
    await dialog.getByText("2 of at most 5 selected.").waitFor();
    await dialog.getByRole("textbox", { name: "Source" }).fill("Website form");
    await dialog.getByRole("textbox", { name: "Tag" }).fill("spring-campaign");
    await dialog.getByRole("checkbox", { name: "bob" }).uncheck();
    await t.shot(admin, "number-settings");
    const saved = admin.waitForResponse((r) => r.request().method() === "PUT");
    await dialog.getByRole("button", { name: "Save settings" }).click();
    assert.equal((await saved).status(), 200);
    await dialog.waitFor({ state: "detached" });
    await until("the row to show the new settings", async () =>
      (await row.locator("td").allTextContents()).join("|").startsWith("Website form|spring-campaign|"),
    );
    assert.equal(await row.locator("td.selected").textContent(), "alice");
    // Focus went back to the Edit button it came from, though the table refreshes every second.
    await admin.waitForTimeout(1200);
    assert.equal(
      await admin.evaluate(() => document.activeElement?.getAttribute("aria-label")),
      "Edit settings of +15550200",
    );
    assert.deepEqual(
      {
        source: await t.redis("HGET", SETTINGS, "source"),
        tag: await t.redis("HGET", SETTINGS, "tag"),
        selected: await t.redis("HGET", SETTINGS, "selected_agents"),
      },
      { source: "Website form", tag: "spring-campaign", selected: "alice" },
    );
  });

  step("an agent has no edit control and the API refuses an agent's change with 403 (seed 004)", async () => {
    const alice = await t.signIn("alice");
    assert.equal(await alice.getByRole("button", { name: /Edit settings/ }).count(), 0);
    assert.equal(await alice.locator("#numbers").count(), 0);
    const before = await t.redis("HGETALL", SETTINGS);
    const put = await t.api("alice", "PUT", "/v1/numbers/%2B15550200", {
      source: "Mine now",
      selected_agents: ["alice", "bob"],
    });
    assert.equal(put.status, 403);
    assert.equal(put.body.error, "forbidden");
    assert.deepEqual(await t.redis("HGETALL", SETTINGS), before, "nothing changed");
    // The page an agent sees of the number is the follow-up card's Source; the settings stay.
    assert.equal(await t.redis("HGET", SETTINGS, "source"), "Website form");
  });
});

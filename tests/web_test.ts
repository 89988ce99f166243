/// <reference lib="dom" />
// The playground (web/): its settings and its browser shim of `node:assert/strict` run here in
// Deno; the page itself is driven in a real Chromium through npm puppeteer-core, which the CI
// installs (`.ci/run`). Without Chromium, or without the permissions `deno task test` grants,
// the browser test is skipped and says why.

import assert from "node:assert/strict";
import { main as sampleMain } from "../cli/sample.ts";
import { main as trainMain } from "../cli/train.ts";
import { readSettings } from "../web/settings.ts";
import { buildSite, writeSite } from "../web/build.ts";
import { contentSecurityPolicy, serveSite } from "../web/serve.ts";
import shim from "../web/shims/assert.ts";
import { findChromium, missingPermissions, openPlayground } from "../web/chromium.ts";
import { capture } from "./cli_helpers.ts";
import { section } from "./pages.ts";

Deno.test("web shim: the assert functions the chapters use pass and fail as node:assert/strict", () => {
  const cases: [string, () => void][] = [
    ["ok true", () => shim.ok(1)],
    ["ok false", () => shim.ok(0, "m")],
    ["call false", () => shim(false, "m")],
    ["equal same", () => shim.equal(2, 2)],
    ["equal loose", () => shim.equal(2 as unknown, "2")],
    ["equal NaN", () => shim.equal(NaN, NaN)],
    ["deepEqual same", () => shim.deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })],
    ["deepEqual differs", () => shim.deepEqual({ a: [1, 2] }, { a: [1, 3] })],
    ["deepEqual array vs object", () => shim.deepEqual([1] as unknown, { 0: 1 })],
    ["deepEqual extra key", () => shim.deepEqual({ a: 1, b: 2 } as unknown, { a: 1 })],
    ["throws matching", () =>
      shim.throws(() => {
        throw new Error("bad x");
      }, /bad/)],
    ["throws not matching", () =>
      shim.throws(() => {
        throw new Error("bad x");
      }, /good/)],
    ["throws nothing", () => shim.throws(() => {}, /bad/)],
  ];
  const node: Record<string, () => void> = {
    "ok true": () => assert.ok(1),
    "ok false": () => assert.ok(0, "m"),
    "call false": () => assert(false, "m"),
    "equal same": () => assert.equal(2, 2),
    "equal loose": () => assert.equal(2 as unknown, "2"),
    "equal NaN": () => assert.equal(NaN, NaN),
    "deepEqual same": () => assert.deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
    "deepEqual differs": () => assert.deepEqual({ a: [1, 2] }, { a: [1, 3] }),
    "deepEqual array vs object": () => assert.deepEqual([1] as unknown, { 0: 1 }),
    "deepEqual extra key": () => assert.deepEqual({ a: 1, b: 2 } as unknown, { a: 1 }),
    "throws matching": () =>
      assert.throws(() => {
        throw new Error("bad x");
      }, /bad/),
    "throws not matching": () =>
      assert.throws(() => {
        throw new Error("bad x");
      }, /good/),
    "throws nothing": () => assert.throws(() => {}, /bad/),
  };
  const fails = (fn: () => void) => {
    try {
      fn();
      return false;
    } catch {
      return true;
    }
  };
  for (const [name, fn] of cases) {
    assert.equal(
      fails(fn),
      fails(node[name]),
      `the shim and node:assert/strict agree on "${name}"`,
    );
  }
});

Deno.test("web settings: the address's values are checked with one message per bad field", () => {
  const read = (query: string) => {
    const params = new URLSearchParams(query);
    return readSettings((name) => params.get(name));
  };
  const good = read("seed=7&steps=300&autostart=1");
  assert.ok(good.ok);
  assert.deepEqual(
    good.settings,
    { steps: 300, learningRate: 0.01, seed: 7, nEmbd: 16, nHead: 4, nLayer: 1, blockSize: 16 },
  );
  const bad = read("steps=0&lr=0&seed=-1&n-embd=2.5&n-layer=x&block-size=1000");
  assert.ok(!bad.ok);
  assert.deepEqual(Object.keys(bad.errors).sort(), [
    "blockSize",
    "learningRate",
    "nEmbd",
    "nLayer",
    "seed",
    "steps",
  ]);
  assert.match(bad.errors.learningRate!, /lr must be above 0 to 10, got 0/);
  assert.match(bad.errors.nEmbd!, /n-embd must be a whole number, got "2.5"/);
  const heads = read("n-embd=16&n-head=3");
  assert.ok(!heads.ok);
  assert.match(heads.errors.nHead!, /n-head \(3\) must divide n-embd \(16\); try 4/);
});

Deno.test("web server: only the site's files, each with a policy that keeps requests local", async () => {
  const answer = await serveSite(
    "/nonexistent",
    new Request("http://localhost:8000/../../etc/passwd"),
    8000,
  );
  assert.equal(answer.status, 404);
  assert.match(contentSecurityPolicy, /default-src 'self'/);
  assert.doesNotMatch(contentSecurityPolicy, /https?:/, "no outside origin is allowed");
});

Deno.test("README: the playground's example run is what deno task train prints", () => {
  const playground = section("README.md", "Playground: the tutorial in a browser")
    .replace(/\s+/g, " ");
  const cli = cliRun(["--seed", "7", "--steps", "300"]);
  assert.match(playground, new RegExp(`the last step's loss is ${cli.lastStep} and`));
  assert.match(playground, new RegExp(`start \`${cli.samples.slice(0, 3).join(", ")}\``));
});

Deno.test({
  name: "web build: the bundles have no node: import, run no chapter's demo and fetch nothing",
  ignore: missingPermissions() !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-web-build-" });
    try {
      await writeSite(dir);
      for (const file of ["app.js", "worker.js"]) {
        // The page shows the chapters' code (web/sources.ts): those files are string literals
        // in the bundle, text to read, not code to run, so they are left out of the checks.
        const code = (await Deno.readTextFile(`${dir}/${file}`))
          .replace(/(["'`])\/\*\*(?:(?!\1)[^\\]|\\[^])*\1/g, '""');
        assert.doesNotMatch(
          code,
          /(from|import)\s*\(?\s*["']node:/,
          `${file} imports no node: module`,
        );
        assert.doesNotMatch(
          code,
          /import\.meta\.main/,
          `${file}: every demo guard became if (false)`,
        );
        const urls = [...code.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0])
          .filter((url) => url !== "http://www.w3.org/2000/svg");
        assert.deepEqual(urls, [], `${file} names no outside address`);
      }
      assert.match(
        await Deno.readTextFile(`${dir}/worker.js`),
        /\bemma\b/,
        "the names are bundled",
      );
      // --out never deletes what is not a build of ours.
      await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
      await assert.rejects(
        buildSite(dir),
        /holds notes\.txt, which is not part of a playground build/,
      );
      assert.equal(await Deno.readTextFile(`${dir}/notes.txt`), "mine");
      await assert.rejects(buildSite(`${dir}/notes.txt`), /is a file, not a directory/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------
// In Chromium.

const chromium = findChromium();
if ("skip" in chromium) {
  const what = missingPermissions() === undefined
    ? "the browser test is"
    : "the bundle and browser tests are";
  console.warn(`tests/web_test.ts: ${what} skipped: ${chromium.skip}`);
}

/** What `deno task train` prints for a run: the "last step" loss and the samples, in order. */
function cliRun(args: string[]): { lastStep: string; samples: string[] } {
  const io = capture();
  trainMain(args, io);
  const lastStep =
    io.lines.find((line) => line.trim().startsWith("last step"))!.trim().split(/\s+/)[2];
  const samples = io.lines.filter((line) => /^\s+\d+ {2}/.test(line)).map((line) =>
    line.trim().replace(/^\d+ {2}/, "").replace(/ {2}\(in the data\)$/, "")
  );
  return { lastStep, samples };
}

Deno.test({
  name: "web playground in Chromium: CLI numbers, controls, responsiveness, checkpoints, bad input",
  ignore: "skip" in chromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "microgpt-web-test-" });
    const { base, browser, close } = await openPlayground(
      chromium as { path: string; root: boolean },
    );
    const outside: string[] = [];
    const pageErrors: string[] = [];
    try {
      const page = await browser.newPage();
      page.on("request", (request) => {
        const url = request.url();
        if (!url.startsWith(base) && !/^(data|blob):/.test(url)) outside.push(url);
      });
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      await page.setViewport({ width: 1280, height: 800 });
      const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
      const items = (selector: string) =>
        page.$$eval(`${selector} li`, (list) => list.map((li) => li.textContent ?? ""));
      const waitForStatus = (word: string, timeout = 60_000) =>
        page.waitForFunction(
          (w) => document.querySelector("#status")?.textContent?.includes(w),
          { timeout },
          word,
        );
      const upload = async (selector: string, path: string) => {
        const input = await page.$(selector);
        await (input as import("puppeteer-core").ElementHandle<HTMLInputElement>).uploadFile(path);
      };
      const setValue = async (selector: string, value: string) => {
        await page.$eval(selector, (e, v) => {
          (e as HTMLInputElement).value = v;
          e.dispatchEvent(new Event("input", { bubbles: true }));
        }, value);
      };

      await t.step("before any model, the views say what to do first", async () => {
        await page.goto(`${base}?steps=abc&seed=7&autostart=1`);
        assert.match(
          await text("#steps-error"),
          /steps must be a whole number, got "abc"/,
        );
        assert.match(await text("#status"), /not started/, "a bad address starts nothing");
        await page.click("#draw-next");
        await page.waitForFunction(() => document.querySelector("#draw-error")?.textContent !== "");
        assert.match(await text("#draw-error"), /train a model or open a checkpoint first/);
      });

      await t.step("an autostart link reproduces deno task train's loss and samples", async () => {
        const cli = cliRun(["--seed", "7", "--steps", "300"]);
        await page.goto(`${base}?seed=7&steps=300&autostart=1`);
        await waitForStatus("done");
        assert.equal(await text("#final-loss"), cli.lastStep);
        assert.deepEqual(await items("#samples"), cli.samples);
        assert.equal(cli.samples.length, 20);
      });

      await t.step("screenshots at 1280x800 and at phone width", async () => {
        await page.waitForSelector("#attention svg");
        await Deno.mkdir("out", { recursive: true });
        await page.screenshot({ path: "out/web-1280x800.png" });
        await page.setViewport({ width: 390, height: 844 });
        await page.screenshot({ path: "out/web-phone.png" });
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.ok(overflow <= 0, `nothing is wider than a phone's screen (${overflow}px too wide)`);
        await page.setViewport({ width: 1280, height: 800 });
      });

      await t.step("the views answer as you type and slide", async () => {
        const atHalf = await items("#samples");
        await setValue("#temperature", "1.5");
        await page.waitForFunction(
          (before) =>
            [...document.querySelectorAll("#samples li")].map((li) => li.textContent).join() !==
              before,
          {},
          atHalf.join(),
        );
        await setValue("#temperature", "0.5");
        await page.waitForFunction(
          (before) =>
            [...document.querySelectorAll("#samples li")].map((li) => li.textContent).join() ===
              before,
          {},
          atHalf.join(),
        );
        await setValue("#prefix", "em");
        await page.waitForFunction(() =>
          document.querySelectorAll("#probabilities li").length === 10
        );
        const percents = (await items("#probabilities")).map((row) =>
          Number(row.match(/([\d.]+)%$/)![1])
        );
        assert.ok(percents.every((p, i) => i === 0 || p <= percents[i - 1]), "likeliest first");
        await setValue("#attention-name", "anna");
        await page.waitForFunction(() =>
          document.querySelector("#attention svg title")?.textContent === 'attention over "anna"'
        );
        assert.equal(
          (await page.$$("#attention svg text")).length > 4 * 5,
          true,
          "4 heads of 5 rows",
        );
        await page.click("#draw-finish");
        await page.waitForFunction(() => document.querySelector("#draw-names")?.textContent);
        assert.match(await text("#draw-context"), /→ drew end/, "the last draw ends the name");
        assert.ok(await page.$("#embeddings svg circle"), "the embeddings are drawn");
        await page.screenshot({ path: "out/web-full.png", fullPage: true }); // deno task web:shots makes docs/images/
      });

      await t.step(
        "Train, Pause, Continue and Reset; a click is handled within 100 ms while training",
        async () => {
          await setValue("#steps", "100000");
          await page.click("#train");
          await waitForStatus("training: step");
          await page.waitForFunction(() => document.querySelector("#loss-chart svg"));
          // The time from the click to the frame that shows its effect, measured in the page.
          await page.evaluate(() => {
            addEventListener("click", (event) => {
              requestAnimationFrame(() => {
                (globalThis as unknown as { clickMs: number }).clickMs = performance.now() -
                  event.timeStamp;
              });
            }, { once: true });
          });
          await page.click("#pause");
          await page.waitForFunction(() =>
            (globalThis as unknown as { clickMs?: number }).clickMs !== undefined
          );
          const clickMs = await page.evaluate(() =>
            (globalThis as unknown as { clickMs: number }).clickMs
          );
          assert.ok(clickMs < 100, `the click was handled and drawn in ${clickMs.toFixed(1)} ms`);
          console.log(`    click handled and drawn in ${clickMs.toFixed(1)} ms while training`);
          await waitForStatus("paused at step", 5_000);
          const pausedAt = Number((await text("#status")).match(/step (\d+)/)![1]);
          await page.click("#pause"); // now "Continue"
          await page.waitForFunction(
            (step) =>
              Number(document.querySelector("#status")?.textContent?.match(/step (\d+)/)?.[1]) >
                step,
            {},
            pausedAt,
          );
          await page.click("#reset");
          await waitForStatus("ready", 5_000);
          assert.deepEqual(await items("#samples"), [], "Reset clears the samples");
          await setValue("#steps", "40");
          await page.click("#train");
          await waitForStatus("done");
          assert.equal((await items("#samples")).length, 20);
        },
      );

      await t.step("a checkpoint goes from the CLI to the page and back to the CLI", async () => {
        const trained = `${tmp}/cli.json`;
        const cli = cliRun(["--seed", "3", "--steps", "200", "--out", trained]);
        await upload("#open", trained);
        await page.waitForFunction(() =>
          document.querySelector("#model-info")?.textContent?.includes("seed 3, step 200 of 200")
        );
        assert.match(await text("#status"), /done/);
        assert.deepEqual(await items("#samples"), cli.samples, "the page draws the CLI's names");
        const downloads = `${tmp}/downloads`;
        await Deno.mkdir(downloads);
        const session = await browser.target().createCDPSession();
        await session.send("Browser.setDownloadBehavior", {
          behavior: "allow",
          downloadPath: downloads,
        });
        await page.click("#save");
        const saved = `${downloads}/microgpt-seed3-step200.json`;
        for (let i = 0; i < 100 && !(await exists(saved)); i++) await delay(100);
        assert.equal(
          await Deno.readTextFile(saved),
          await Deno.readTextFile(trained),
          "the page saves the very checkpoint the CLI wrote",
        );
        const io = capture();
        sampleMain(["--model", saved], io);
        assert.deepEqual(io.lines, cli.samples, "deno task sample continues where the page saved");

        // A run stopped half-way by the CLI finishes in the page as it would have in the CLI.
        const half = `${tmp}/half.json`;
        trainMain(["--seed", "3", "--steps", "200", "--stop-at", "100", "--out", half], capture());
        await upload("#open", half);
        await page.waitForFunction(() =>
          document.querySelector("#model-info")?.textContent?.includes("seed 3, step 100 of 200")
        );
        assert.match(await text("#status"), /opened at step 100 of 200/);
        await page.click("#pause"); // "Continue"
        await page.waitForFunction(() =>
          document.querySelector("#model-info")?.textContent?.includes("seed 3, step 200 of 200")
        );
        assert.equal(await text("#final-loss"), cli.lastStep);
        assert.deepEqual(await items("#samples"), cli.samples);
        // The loss chart draws steps 101 to 200, where they were trained, not 1 to 100.
        const labels = await page.$$eval(
          "#loss-chart svg text",
          (list) => list.map((t) => Number(t.textContent)).filter(Number.isFinite),
        );
        assert.equal(Math.max(...labels), 200, `loss chart labels ${labels}`);
      });

      await t.step(
        "bad input gets a message beside its control, and the page keeps working",
        async () => {
          const corrupt = `${tmp}/corrupt.json`;
          await Deno.writeTextFile(
            corrupt,
            '{"format": "microgpt-checkpoint", "version": 1, "config": ',
          );
          await upload("#open", corrupt);
          await page.waitForFunction(() =>
            document.querySelector("#checkpoint-error")?.textContent !== ""
          );
          assert.match(await text("#checkpoint-error"), /corrupt\.json/);

          await setValue("#prefix", "zoë");
          await page.waitForFunction(() =>
            document.querySelector("#prefix-error")?.textContent !== ""
          );
          assert.match(await text("#prefix-error"), /"ë".*not in the vocabulary/);
          await setValue("#prefix", "a");
          await page.waitForFunction(() =>
            document.querySelector("#prefix-error")?.textContent === ""
          );
          assert.equal((await items("#probabilities")).length, 10, "the prefix box works again");

          await setValue("#steps", "0");
          await setValue("#n-embd", "24");
          await setValue("#n-head", "16");
          await page.click("#train");
          assert.match(
            await text("#steps-error"),
            /steps must be from 1 to 100000, got 0/,
          );
          assert.match(
            await text("#n-head-error"),
            /n-head \(16\) must divide n-embd \(24\); try 4/,
          );
          assert.match(await text("#status"), /not started/);
          await setValue("#steps", "20");
          await setValue("#n-embd", "16");
          await setValue("#n-head", "4");

          await page.click("#preset-text");
          await setValue("#steps", "20");
          await setValue("#dataset-text", "  \n \n");
          await page.click("#train");
          assert.match(await text("#dataset-error"), /the dataset is empty/);
          const names = `${tmp}/names.txt`;
          await Deno.writeTextFile(names, "ab\nba\nabba\n");
          await upload("#dataset-file", names);
          await page.waitForFunction(() =>
            document.querySelector("#dataset-info")?.textContent?.includes("names.txt")
          );
          assert.match(await text("#dataset-info"), /names\.txt: 0\.0 MB, 3 documents/);
          assert.equal(
            await page.$eval("#dataset-text", (e) => (e as HTMLTextAreaElement).value),
            "",
            "an opened file is kept out of the text box",
          );
          await page.click("#train");
          await waitForStatus("done");
          assert.ok(
            (await items("#samples")).every((name) => /^[ab]*$/.test(name)),
            "the opened file is what it trained on",
          );
          assert.equal(
            await text("#held-out-loss"),
            "none: the run trains on every document",
            "three names, 20 steps: nothing is held out, and the page says so",
          );
          assert.equal(await text("#dataset-error"), "");
          assert.equal(await text("#steps-error"), "");

          // A half-trained checkpoint continues only on the data it was trained on.
          await upload("#open", `${tmp}/half.json`);
          await waitForStatus("opened at step 100 of 200");
          await page.click("#pause"); // "Continue", on the "ab" names still selected
          await page.waitForFunction(() =>
            document.querySelector("#dataset-error")?.textContent !== ""
          );
          assert.match(await text("#dataset-error"), /is not the checkpoint's/);
          assert.equal(await text("#pause"), "Continue");
        },
      );

      assert.deepEqual(pageErrors, [], "no error escaped the page");
      assert.deepEqual(outside, [], "no request left localhost");
    } finally {
      await close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

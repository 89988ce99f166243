/// <reference lib="dom" />
// The playground as a lesson (issue 25), in Chromium: every panel explains itself and links to
// the lines of its code; the loss chart has its baseline and its held-out series; the
// microscope's numbers are chapter 07's anatomy of the same step; the letter-by-letter
// generator draws what `deno task sample` prints; presets, the share link, two runs on one
// chart, the tour; bad fields start no run; a 50 MB paste leaves the page responsive; a phone
// gets one column with readable charts. One browser serves every step. Without Chromium, or
// without the permissions `deno task test` grants, it is skipped and says why.

import assert from "node:assert/strict";
import type { ElementHandle, Page } from "puppeteer-core";
import { main as sampleMain } from "../cli/sample.ts";
import { main as trainMain } from "../cli/train.ts";
import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import { anatomyOfStep, documentLoss, setup, train } from "../steps/07_training.ts";
import { locate } from "../web/sources.ts";
import { defaultSettings, readSettings, readView, shareQuery } from "../web/settings.ts";
import { findChromium, openPlayground } from "../web/chromium.ts";
import { heldOutLoss, setupText, tensorEngine, trainOnText } from "../app/text_mode.ts";
import { mobyDick } from "../lib/moby_dick.ts";
import { toTensorModel } from "../steps/12_tensor_gpt.ts";
import { stops } from "../web/tour.ts";
import { capture } from "./cli_helpers.ts";

const canRead = Deno.permissions.querySync({ name: "read" }).state === "granted";

Deno.test({
  name: "web sources: locate finds a function from its doc comment to its closing brace",
  ignore: !canRead, // it reads the chapter from disk; deno task test grants --allow-read
}, () => {
  const text = Deno.readTextFileSync(new URL("../steps/07_training.ts", import.meta.url));
  const found = locate(text, "train")!;
  const lines = text.split("\n").slice(found.from - 1, found.to);
  assert.match(lines[0], /^\/\*\*/);
  assert.ok(lines.some((line) => line.startsWith("export function train(")));
  assert.equal(lines.at(-1), "}");
  assert.equal(locate(text, "noSuchFunction"), undefined);
});

Deno.test("web settings: the share query carries every setting, and a form's empty field is an error", () => {
  const settings = { ...defaultSettings, steps: 123, learningRate: 0.003, nEmbd: 32, nHead: 2 };
  const view = {
    dataset: "names" as const,
    engine: "scalar" as const,
    temperature: 1.2,
    topK: 3,
    drawSeed: 77,
    prefix: "ka",
    name: "anna",
    stepName: "mia",
  };
  const query = new URLSearchParams(shareQuery(settings, view));
  const read = readSettings((param) => query.get(param));
  assert.ok(read.ok);
  assert.deepEqual(read.settings, settings);
  assert.deepEqual(readView(query), view);
  for (const bad of ["", "1e309", "NaN", "0x10", "Infinity"]) {
    const form = readSettings((param) => (param === "lr" ? bad : String(0.01)), true);
    assert.ok(!form.ok && form.errors.learningRate !== undefined, `lr "${bad}" is refused`);
  }
});

const chromium = findChromium();
if ("skip" in chromium) console.warn(`tests/web_teach_test.ts: skipped: ${chromium.skip}`);

Deno.test({
  name: "web playground teaches, in Chromium",
  ignore: "skip" in chromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "microgpt-web-teach-" });
    const { base, browser, close } = await openPlayground(
      chromium as { path: string; root: boolean },
    );
    const pageErrors: string[] = [];
    const open = async (query: string, width = 1280, fresh = false): Promise<Page> => {
      const context = fresh
        ? await browser.createBrowserContext()
        : browser.defaultBrowserContext();
      const page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      await page.setViewport({ width, height: 900 });
      await page.goto(`${base}${query}`);
      return page;
    };
    const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
    const value = (page: Page, selector: string) =>
      page.$eval(selector, (e) => (e as HTMLInputElement).value);
    const setValue = (page: Page, selector: string, to: string, event = "input") =>
      page.$eval(
        selector,
        (e, v, name) => {
          (e as HTMLInputElement).value = v;
          e.dispatchEvent(new Event(name, { bubbles: true }));
        },
        to,
        event,
      );
    const done = (page: Page, timeout = 60_000) =>
      page.waitForFunction(
        () => document.querySelector("#status")?.textContent?.startsWith("done"),
        { timeout },
      );
    try {
      const page = await open("?seed=7&steps=300&autostart=1");
      await done(page);

      await t.step(
        "every panel explains itself and links to the lines that compute it",
        async () => {
          const panels = await page.$$eval("main > section", (sections) =>
            sections.map((s) => ({
              id: s.id,
              explain: s.querySelector(".explain")?.textContent?.trim() ?? "",
              links: [...s.querySelectorAll<HTMLAnchorElement>("a.code")].map((a) => ({
                file: a.dataset.file!,
                symbol: a.dataset.symbol!,
                from: Number(a.dataset.from),
                to: Number(a.dataset.to),
                text: a.textContent ?? "",
              })),
            })));
          assert.equal(panels.length, 9);
          for (const panel of panels) {
            assert.ok(panel.explain.length > 80, `${panel.id} has an explanation`);
            assert.ok(panel.links.length > 0, `${panel.id} links to its code`);
            for (const link of panel.links) {
              const lines = (await Deno.readTextFile(new URL(`../${link.file}`, import.meta.url)))
                .split("\n");
              const range = lines.slice(link.from - 1, link.to);
              assert.match(range[0], /^\/\*\*/, `${link.file}:${link.from} opens a doc comment`);
              assert.ok(
                range.some((line) =>
                  new RegExp(`^export (function|class|const|interface) ${link.symbol}\\b`).test(
                    line,
                  )
                ),
                `${link.file} lines ${link.from}-${link.to} hold ${link.symbol}`,
              );
              assert.match(range.at(-1)!, /^[}\]]|;$/, `${link.symbol}'s range ends where it does`);
              assert.ok(link.text.includes(`lines ${link.from}–${link.to}`));
            }
          }
          await page.click("#training-panel a.code:last-of-type");
          await page.waitForSelector("#code-dialog[open]");
          assert.match(await text(page, "#code-body"), /export function train\(/);
          await page.click("#code-close");
        },
      );

      await t.step(
        "the loss chart: the uniform guess, held-out loss; names update while training",
        async () => {
          const labels = await page.$$eval(
            "#loss-chart svg text",
            (list) => list.map((e) => e.textContent),
          );
          assert.ok(labels.includes("uniform guess ln 27 = 3.30"), "the baseline is labelled");
          assert.ok(labels.includes("held-out names"), "the held-out series is in the legend");
          // Chapter 07's measure, computed here: the last 100 names, less any the run trained on.
          const { docs, tokenizer, model } = setup(bundledNames, 7);
          train(model, tokenizer, docs, { steps: 300 });
          const trained = new Set(docs.slice(0, 300));
          const heldOut = docs.slice(-100).filter((doc) => !trained.has(doc));
          const expected = heldOut.reduce(
            (sum, doc) => sum + documentLoss(model, withBos(tokenizer, doc)).data,
            0,
          ) / heldOut.length;
          assert.equal(await text(page, "#held-out-loss"), `${expected.toFixed(4)} at step 300`);
          const dots = await page.$$eval("#loss-chart svg circle", (list) => list.length);
          assert.ok(dots >= 11, `the held-out loss at 11 steps (${dots} dots)`);

          const long = await open("?seed=1&steps=20000&autostart=1");
          await long.waitForFunction(() =>
            document.querySelector("#live-samples")?.textContent !== "–"
          );
          const first = await text(long, "#live-samples");
          await long.waitForFunction(
            (before) => document.querySelector("#live-samples")?.textContent !== before,
            {},
            first,
          );
          await long.click("#reset");
          await long.close();
        },
      );

      await t.step("both engines give the CLI's loss and names", async () => {
        const io = capture();
        trainMain(["--seed", "7", "--steps", "300"], io);
        const lastStep = io.lines.find((line) => line.trim().startsWith("last step"))!
          .trim().split(/\s+/)[2];
        const names = (p: Page) =>
          p.$$eval("#samples li", (list) => list.map((li) => li.textContent));
        const scalar = await open("?seed=7&steps=300&engine=scalar&autostart=1");
        await done(scalar);
        assert.match(await text(scalar, "#speed"), /on the scalar engine/);
        assert.match(await text(page, "#speed"), /on the tensor engine/);
        for (const p of [page, scalar]) assert.equal(await text(p, "#final-loss"), lastStep);
        assert.deepEqual(await names(scalar), await names(page));
        assert.equal((await names(page)).length, 20);
        await scalar.close();
      });

      await t.step("Moby-Dick: a book run, its held-out loss app/text_mode.ts's", async () => {
        const book = await open("?dataset=moby&steps=30&autostart=1");
        assert.equal(await value(book, "#n-embd"), "32", "the card's settings");
        assert.equal(await value(book, "#temperature"), "0.8");
        await done(book, 120_000);
        // The same run in Deno: the card's shape, 8 windows a step, the tensor engine.
        const shape = { nLayer: 2, nEmbd: 32, nHead: 4, blockSize: 64 };
        const { corpus, model, rng } = setupText(mobyDick, 42, shape);
        const engine = tensorEngine(toTensorModel(model), 8);
        trainOnText(engine, corpus, { steps: 30, batchSize: 8, rng, evalWindows: 1 });
        const expected = heldOutLoss(engine, corpus, 100);
        assert.equal(await text(book, "#held-out-loss"), `${expected.toFixed(4)} at step 30`);
        const labels = await book.$$eval(
          "#loss-chart svg text",
          (list) => list.map((e) => e.textContent ?? ""),
        );
        assert.ok(labels.some((l) => /^letter pairs \d\.\d\d$/.test(l)), "the bigram baseline");
        assert.ok(labels.includes("held-out text"));
        const passage = await book.$$eval(
          "#samples li",
          (list) => list.map((li) => li.textContent),
        );
        assert.equal(passage.length, 1);
        assert.equal([...passage[0]!].length, 300, "one passage of 300 characters");
        await book.click("#draw-next");
        await book.waitForFunction(() => document.querySelector("#draw-error")?.textContent);
        assert.match(await text(book, "#draw-error"), /letter by letter draws names/);
        await book.close();
      });

      await t.step(
        "the microscope's numbers are chapter 07's anatomy of the same step",
        async () => {
          const fresh = await open("?seed=42&steps=1000");
          await fresh.waitForSelector("#step-stages li");
          const { docs, tokenizer, model } = setup(bundledNames, 42);
          const anatomy = anatomyOfStep(model, tokenizer, docs, 0, 1000);
          const stages = await fresh.$$eval("#step-stages li", (list) => list.length);
          for (let i = 1; i < stages; i++) await fresh.click("#step-forward");
          const shown: Record<string, string | undefined>[] = await fresh.$$eval(
            "#step-stages li",
            (list) =>
              list.map((li) => ({
                ...(li as HTMLElement).dataset,
                hidden: (li as HTMLElement).hidden ? "yes" : undefined,
              })),
          );
          assert.ok(
            shown.every((s) => !s.hidden),
            "Forward reveals every stage",
          );
          const close = (a: number, b: number, what: string) =>
            assert.ok(Math.abs(a - b) <= 1e-12, `${what}: page ${a}, chapter 07 ${b}`);
          const positions = shown.filter((s) => s.kind === "position");
          assert.equal(positions.length, anatomy.positionLosses.length);
          positions.forEach((p, i) =>
            close(Number(p.loss), anatomy.positionLosses[i], `position ${i}`)
          );
          const loss = shown.find((s) => s.kind === "loss")!;
          close(Number(loss.loss), anatomy.loss, "the step's loss");
          assert.equal(Number(loss.nodes), anatomy.graphNodes);
          const gradients = shown.filter((s) => s.kind === "gradient");
          assert.deepEqual(
            gradients.map((g) => g.matrix),
            [
              "lm_head",
              ..."mlp_fc2 mlp_fc1 attn_wo attn_wv attn_wk attn_wq".split(" ").map((m) =>
                `layer0.${m}`
              ),
              "wpe",
              "wte",
            ],
            "from lm_head back through the layer to wte",
          );
          for (const g of gradients) {
            close(Number(g.norm), anatomy.gradientNorms[g.matrix!], g.matrix!);
          }
          const update = shown.find((s) => s.kind === "update")!;
          close(Number(update.learningRate), anatomy.learningRate, "learning rate");
          close(Number(update.lossAfter), anatomy.lossAfter, "loss after");
          assert.match(await text(fresh, "#step-stages"), new RegExp(`"${anatomy.doc}" as tokens`));
          await fresh.click("#step-back");
          assert.equal(
            await fresh.$eval("#step-stages li:last-child", (li) => (li as HTMLElement).hidden),
            true,
            "Back hides the last stage again",
          );
          await fresh.close();
        },
      );

      await t.step(
        "letter by letter draws what deno task sample prints with the same seed",
        async () => {
          const trained = `${tmp}/cli.json`;
          trainMain(["--seed", "3", "--steps", "200", "--out", trained], capture());
          const input = await page.$("#open") as ElementHandle<HTMLInputElement>;
          await input.uploadFile(trained);
          await page.waitForFunction(() =>
            document.querySelector("#model-info")?.textContent?.includes("seed 3, step 200 of 200")
          );
          await setValue(page, "#temperature", "0.8");
          await setValue(page, "#top-k", "5", "input");
          await setValue(page, "#draw-seed", "5");
          await page.click("#draw-next");
          await page.waitForSelector("#draw-bars li");
          const bars = await page.$$eval(
            "#draw-bars li",
            (list) => list.map((li) => Number(li.lastElementChild!.textContent!.replace("%", ""))),
          );
          assert.ok(bars.length <= 5, `top-k 5 leaves at most 5 candidates (${bars.length})`);
          assert.ok(
            Math.abs(bars.reduce((a, b) => a + b, 0) - 100) < 0.5,
            `they sum to 100%: ${bars}`,
          );
          assert.equal(await page.$$eval("#draw-bars li.drawn", (list) => list.length), 1);
          for (let i = 0; i < 3; i++) {
            await page.click("#draw-finish");
            await page.waitForFunction(
              (n) => document.querySelectorAll("#draw-names span").length === n,
              {},
              i + 1,
            );
          }
          const names = await page.$$eval(
            "#draw-names span",
            (list) => list.map((s) => s.textContent),
          );
          const io = capture();
          sampleMain(
            [
              "--model",
              trained,
              "--seed",
              "5",
              "--temperature",
              "0.8",
              "--top-k",
              "5",
              "--samples",
              "3",
            ],
            io,
          );
          assert.deepEqual(names, io.lines);
        },
      );

      await t.step(
        "presets set their settings; the learning rate has a log-scale slider",
        async () => {
          await setValue(page, "#engine", "scalar", "change");
          await page.click("#preset-names-larger");
          assert.equal(await value(page, "#n-embd"), "64");
          assert.equal(await value(page, "#block-size"), "32");
          assert.equal(await value(page, "#steps"), "3000");
          assert.equal(
            await value(page, "#engine"),
            "tensor",
            "the larger model trains on tensors",
          );
          await setValue(page, "#steps", "2500");
          await page.click("#preset-names");
          assert.equal(await value(page, "#n-embd"), "16");
          assert.equal(await value(page, "#block-size"), "16");
          assert.equal(await value(page, "#engine"), "scalar", "the card kept its own engine");
          await page.click("#preset-names-larger");
          assert.equal(await value(page, "#steps"), "2500", "and the larger card its steps");
          await page.click("#preset-names");
          await setValue(page, "#lr-slider", "-3");
          assert.equal(await value(page, "#lr"), "0.001");
          await setValue(page, "#lr", "0.01");
          assert.equal(await value(page, "#lr-slider"), "-2");
        },
      );

      await t.step("the share link restores every setting", async () => {
        const wanted: Record<string, string> = {
          "#steps": "123",
          "#lr": "0.003",
          "#seed": "9",
          "#n-embd": "32",
          "#n-head": "2",
          "#n-layer": "2",
          "#block-size": "24",
          "#temperature": "1.2",
          "#top-k": "3",
          "#draw-seed": "77",
          "#prefix": "ka",
          "#attention-name": "anna",
          "#step-name": "mia",
          "#engine": "scalar",
        };
        for (const [selector, to] of Object.entries(wanted)) {
          const select = await page.$eval(selector, (e) => e.tagName === "SELECT");
          await setValue(page, selector, to, select ? "change" : "input");
        }
        const href = await page.$eval("#share-link", (a) => (a as HTMLAnchorElement).href);
        const shared = await open(href.slice(base.length));
        for (const [selector, to] of Object.entries(wanted)) {
          assert.equal(await value(shared, selector), to, `${selector} restored`);
        }
        await done(shared);
        assert.match(
          await text(shared, "#model-info"),
          /n-embd 32, n-head 2, n-layer 2, block-size 24; seed 9, step 123 of 123, lr 0.003/,
        );
        await shared.close();
      });

      await t.step(
        "an address that leaves a setting out means the tutorial's, as the CLI's flags do",
        async () => {
          // `?steps=3000` once picked the larger card (it also takes 3,000 steps) and trained
          // 54,656 parameters where `deno task train --steps 3000` trains 4,192.
          const short = await open("?steps=3000");
          assert.equal(await value(short, "#n-embd"), "16");
          assert.equal(await value(short, "#block-size"), "16");
          assert.ok(await short.$eval("#preset-names", (e) => (e as HTMLInputElement).checked));
          await short.close();
          // An address that gives the larger card's settings (as its share link does) finds it.
          const larger = await open("?steps=3000&n-embd=64&block-size=32");
          assert.equal(await value(larger, "#n-embd"), "64");
          assert.ok(
            await larger.$eval("#preset-names-larger", (e) => (e as HTMLInputElement).checked),
          );
          await larger.close();
        },
      );

      await t.step("two runs side by side: a kept curve and the settings that differ", async () => {
        const runs = await open("?seed=7&steps=200&autostart=1");
        await done(runs);
        await runs.click("#keep");
        await runs.waitForFunction(() =>
          !document.querySelector("#compare")?.hasAttribute("hidden")
        );
        await setValue(runs, "#lr", "0.02");
        await runs.click("#train");
        // Wait for the second run's end by what it leaves (its lr in the model line), not for
        // the passing "training" status, which a 200-step run can leave between two polls.
        await runs.waitForFunction(
          () =>
            document.querySelector("#status")?.textContent?.startsWith("done") &&
            / lr 0\.02\b/.test(document.querySelector("#model-info")?.textContent ?? ""),
          { timeout: 60_000 },
        );
        assert.match(await text(runs, "#compare-diff"), /lr 0\.01 → 0\.02/);
        const legend = await runs.$$eval(
          "#loss-chart svg text",
          (list) => list.map((e) => e.textContent ?? ""),
        );
        assert.ok(legend.some((l) => l.startsWith("kept run")), "the kept run is on the chart");
        await runs.close();
      });

      await t.step("bad number fields are marked and start no run", async () => {
        const form = await open("?steps=50");
        for (const bad of ["1e309", "NaN", "0x10", ""]) {
          await setValue(form, "#lr", bad);
          await form.click("#train");
          assert.match(await text(form, "#lr-error"), /lr (must be|is empty)/, `lr "${bad}"`);
          assert.equal(await form.$eval("#lr", (e) => e.hasAttribute("aria-invalid")), true);
          assert.match(await text(form, "#status"), /not started/);
          assert.equal(await form.$eval("#progress", (e) => (e as HTMLProgressElement).value), 0);
        }
        await setValue(form, "#lr", "0.01");
        await setValue(form, "#steps", "0x10");
        await form.click("#train");
        assert.match(await text(form, "#steps-error"), /steps must be a whole number, got "0x10"/);
        await form.close();
      });

      await t.step(
        "a .safetensors file is told the playground opens JSON checkpoints",
        async () => {
          const file = `${tmp}/model.safetensors`;
          await Deno.writeFile(file, new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125]));
          const input = await page.$("#open") as ElementHandle<HTMLInputElement>;
          await input.uploadFile(file);
          await page.waitForFunction(() =>
            document.querySelector("#checkpoint-error")?.textContent
          );
          assert.match(
            await text(page, "#checkpoint-error"),
            /model\.safetensors: the playground opens JSON checkpoints/,
          );
        },
      );

      await t.step(
        "a 50 MB paste or file is refused with a message; the page stays responsive",
        async () => {
          const data = await open("?steps=50");
          await data.click("#preset-text");
          await data.evaluate(() => {
            const pasted = new DataTransfer();
            pasted.setData("text/plain", "emma\n".repeat(10_000_000));
            document.querySelector("#dataset-text")!.dispatchEvent(
              new ClipboardEvent("paste", {
                clipboardData: pasted,
                bubbles: true,
                cancelable: true,
              }),
            );
          });
          assert.match(
            await text(data, "#dataset-error"),
            /that paste is 50\.0 MB; the playground takes at most 5\.0 MB/,
          );
          assert.equal(await value(data, "#dataset-text"), "");
          const started = performance.now();
          await data.click("#preset-names");
          await data.waitForFunction(() =>
            document.querySelector("#custom-box")?.hasAttribute("hidden")
          );
          const ms = performance.now() - started;
          assert.ok(ms < 1000, `a click answered in ${ms.toFixed(0)} ms`);
          await data.click("#preset-text");
          const big = `${tmp}/big.txt`;
          await Deno.writeTextFile(big, "emma\n".repeat(10_000_000));
          const file = await data.$("#dataset-file") as ElementHandle<HTMLInputElement>;
          await file.uploadFile(big);
          await data.waitForFunction(() =>
            document.querySelector("#dataset-error")?.textContent?.includes("big.txt")
          );
          assert.match(await text(data, "#dataset-error"), /big\.txt is 50\.0 MB/);
          await data.close();
        },
      );

      await t.step(
        "the tour: on a first visit, 8 stops in the chapters' order, skippable, restartable",
        async () => {
          const visit = await open("", 1280, true);
          await visit.waitForSelector("#tour:not([hidden])");
          const titles: string[] = [];
          for (let i = 0; i < stops.length; i++) {
            titles.push(await text(visit, "#tour-title"));
            assert.equal(
              await visit.$eval(`#${stops[i].panel}`, (e) => e.classList.contains("touring")),
              true,
            );
            await visit.click("#tour-next");
          }
          assert.equal(stops.length, 8);
          const chapters = titles.map((title) => Number(title.match(/Step (\d+)/)![1]));
          assert.deepEqual(chapters, [...chapters].sort((a, b) => a - b), "in the chapters' order");
          assert.equal(await visit.$eval("#tour", (e) => (e as HTMLElement).hidden), true);
          await visit.reload();
          assert.equal(await visit.$eval("#tour", (e) => (e as HTMLElement).hidden), true, "once");
          await visit.click("#tour-start");
          assert.equal(await visit.$eval("#tour", (e) => (e as HTMLElement).hidden), false);
          await visit.click("#tour-skip");
          assert.equal(await visit.$eval("#tour", (e) => (e as HTMLElement).hidden), true);
          await visit.browserContext().close();
        },
      );

      await t.step(
        "at 1280 px every row is full; at 390 px one column, text >= 10 px, no sideways scroll",
        async () => {
          const rows = await page.evaluate(() => {
            const main = document.querySelector("main")!.getBoundingClientRect();
            const tops = new Map<number, number>();
            for (const s of document.querySelectorAll("main > section")) {
              const box = s.getBoundingClientRect();
              tops.set(
                Math.round(box.top),
                Math.max(tops.get(Math.round(box.top)) ?? 0, box.right),
              );
            }
            return [...tops.values()].map((right) => main.right - right);
          });
          assert.ok(rows.every((gap) => gap < 2), `no row leaves an empty column (${rows})`);
          const phone = await open("?seed=7&steps=300&autostart=1", 390);
          await done(phone);
          await phone.waitForSelector("#attention svg");
          const layout = await phone.evaluate(() => ({
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            lefts: [
              ...new Set(
                [...document.querySelectorAll("main > section")].map((s) =>
                  Math.round(s.getBoundingClientRect().left)
                ),
              ),
            ],
            smallest: [...document.querySelectorAll(".chart svg")].map((svg) => {
              const scale = svg.getBoundingClientRect().width /
                (svg as SVGSVGElement).viewBox.baseVal.width;
              return Math.min(
                ...[...svg.querySelectorAll("text")].map((e) =>
                  parseFloat(getComputedStyle(e).fontSize) * scale
                ),
              );
            }),
          }));
          assert.ok(layout.overflow <= 0, `no sideways scrolling (${layout.overflow} px too wide)`);
          assert.equal(layout.lefts.length, 1, "one column");
          assert.equal(layout.smallest.length, 3, "three charts");
          assert.ok(
            layout.smallest.every((px) => px >= 10),
            `chart text at least 10 px: ${layout.smallest}`,
          );
          await phone.close();
        },
      );

      assert.deepEqual(pageErrors, [], "no error escaped the page");
    } finally {
      await close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

// The module graph, as Deno itself resolves it (`deno info --json`, type-only imports included),
// over every TypeScript file of the project: no module imports one that imports it back, and
// every import points down the layers the README's "Layout" describes:
//
//   lib/     what the chapters stand on: imports only lib/
//   steps/   the chapters: chapter NN imports lib/ and chapters before NN; its parts in
//            steps/NN_name/ import lib/, earlier chapters and each other, never their chapter
//   app/     built on the chapters: imports lib/, steps/ and app/
//   the rest (cli/, web/, scripts/, bench/, compare/, mod.ts, tests/, exercises/): anything

import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const canRun = Deno.permissions.querySync({ name: "run" }).state === "granted" &&
  Deno.permissions.querySync({ name: "read", path: root }).state === "granted";
const ignore = !canRun;
if (ignore) {
  console.log("layers_test: skipped (needs --allow-read and --allow-run to run deno info)");
}

/** Folders that hold no module of the project: build output, a learner's saved files. */
const notModules = new Set([".git", "node_modules", "out", "dist", "docs", "data", "notebooks"]);

/** Every .ts file of the project, as a path from the root. A learner's own exercise files
 * (`exercises/*.ts`, not the skeletons) are theirs, and may be half-written: left out. */
function projectFiles(folder = ""): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(new URL(folder || ".", root))) {
    const path = folder + entry.name;
    if (entry.isDirectory && !notModules.has(entry.name) && !entry.name.startsWith(".")) {
      files.push(...projectFiles(`${path}/`));
    } else if (entry.isFile && path.endsWith(".ts") && !/^exercises\/[^/]+\.ts$/.test(path)) {
      files.push(path);
    }
  }
  return files.sort();
}

/** The project's own import graph: each module's path to the paths it imports. */
function moduleGraph(files: readonly string[]): Map<string, Set<string>> {
  // One `deno info` over a module that imports every file: one process, one graph.
  const all = files.map((file) => `import "${new URL(file, root).href}";`).join("\n");
  const entry = `data:application/typescript;base64,${btoa(all)}`;
  const output = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(output.success, `deno info failed: ${new TextDecoder().decode(output.stderr)}`);
  const info: {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
    }[];
  } = JSON.parse(new TextDecoder().decode(output.stdout));
  const local = (specifier: string) =>
    specifier.startsWith(root.href) ? decodeURIComponent(specifier.slice(root.href.length)) : "";
  const graph = new Map<string, Set<string>>();
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (!from.endsWith(".ts")) continue;
    const to = new Set<string>();
    for (const dependency of module.dependencies ?? []) {
      for (const target of [dependency.code?.specifier, dependency.type?.specifier]) {
        const path = target === undefined ? "" : local(target);
        if (path.endsWith(".ts")) to.add(path);
      }
    }
    graph.set(from, to);
  }
  return graph;
}

/** The strongly connected components of more than one module (or a module importing itself). */
function loops(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Where a module sits: its layer, and for a chapter or a chapter's part, the chapter number. */
function place(path: string): { layer: number; chapter?: number; part?: boolean } {
  if (path.startsWith("lib/")) return { layer: 0 };
  const chapter = path.match(/^steps\/(\d\d)_[^/]+?(\.ts|\/)/);
  if (chapter) return { layer: 1, chapter: Number(chapter[1]), part: chapter[2] === "/" };
  if (path.startsWith("steps/")) return { layer: 1 };
  if (path.startsWith("app/")) return { layer: 2 };
  return { layer: 3 };
}

const layerNames = ["lib/", "steps/", "app/", "the commands and tests"];

/** Why the import `from` -> `to` points the wrong way, or undefined when it may. */
function wrongWay(from: string, to: string): string | undefined {
  const a = place(from);
  const b = place(to);
  if (b.layer > a.layer) {
    return `${layerNames[a.layer]} may not import ${layerNames[b.layer]}`;
  }
  if (a.layer !== 1 || b.layer !== 1 || a.chapter === undefined || b.chapter === undefined) {
    return undefined;
  }
  // A chapter's part may use its sibling parts and earlier chapters, never its own chapter;
  // a chapter may use its own parts and earlier chapters (and their parts).
  if (b.chapter > a.chapter) return `chapter ${a.chapter} may not import chapter ${b.chapter}`;
  if (b.chapter === a.chapter && !b.part) return `a part of chapter ${b.chapter} imports it`;
  return undefined;
}

Deno.test({
  name: "no module imports one that imports it back",
  ignore,
  fn() {
    const graph = moduleGraph(projectFiles());
    assert.ok(graph.size > 50, `the graph has only ${graph.size} modules: were they found?`);
    const found = loops(graph);
    assert.deepEqual(
      found.map((loop) => loop.join(" <-> ")),
      [],
      `${found.length} import loop(s); break each by moving what both sides need below both`,
    );
  },
});

Deno.test({
  name: "every import points down the layers: lib/, steps/ (by chapter), app/, the rest",
  ignore,
  fn() {
    const graph = moduleGraph(projectFiles());
    const wrong: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const why = wrongWay(from, to);
        if (why) wrong.push(`${from} imports ${to}: ${why}`);
      }
    }
    assert.deepEqual(wrong, [], "imports that point up the layers (see README, Layout)");
  },
});

Deno.test({
  name: "lib/ imports nothing from steps/, app/ or the commands",
  ignore,
  fn() {
    const graph = moduleGraph(projectFiles("lib/"));
    const outside = [...graph]
      .filter(([from]) => from.startsWith("lib/"))
      .flatMap(([from, targets]) =>
        [...targets].filter((to) => !to.startsWith("lib/")).map((to) => `${from} -> ${to}`)
      );
    assert.ok(graph.size >= 10, `only ${graph.size} modules found under lib/`);
    assert.deepEqual(outside, [], "lib/ is the layer below the chapters: it imports only lib/");
  },
});

Deno.test("the layer rule itself: what it allows and what it refuses", () => {
  assert.equal(wrongWay("steps/03_components.ts", "steps/01_autograd.ts"), undefined);
  assert.equal(
    wrongWay("steps/09_visualization.ts", "steps/09_visualization/probes.ts"),
    undefined,
  );
  assert.equal(
    wrongWay("steps/10_experiments/report.ts", "steps/10_experiments/sweep.ts"),
    undefined,
  );
  assert.equal(wrongWay("cli/train.ts", "app/checkpoint.ts"), undefined);
  assert.match(wrongWay("lib/random.ts", "steps/01_autograd.ts")!, /lib\/ may not import steps/);
  assert.match(wrongWay("steps/07_training.ts", "app/checkpoint.ts")!, /steps\/ may not import/);
  assert.match(wrongWay("steps/03_components.ts", "steps/06_gpt.ts")!, /chapter 3 may not/);
  assert.match(
    wrongWay("steps/09_visualization/report.ts", "steps/09_visualization.ts")!,
    /a part of chapter 9 imports it/,
  );
  assert.deepEqual(loops(new Map([["a", new Set(["b"])], ["b", new Set(["a"])]])), [["a", "b"]]);
  assert.deepEqual(loops(new Map([["a", new Set(["b"])], ["b", new Set()]])), []);
});

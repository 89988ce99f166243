/**
 * `deno task data` rebuilds the bundled files, but never over one that a learner edited: a file
 * whose bytes are not the pinned build's is refused before any download, unless `--force`.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { editedOutputs, OUTPUTS } from "../scripts/build_data.ts";
import { filesAllowed } from "./cli_helpers.ts";
import dataReadme from "../data/README.md" with { type: "text" };

const canWrite = filesAllowed("tests/build_data_test.ts", "the edited-data-file tests");

Deno.test("deno task data: the committed files are the pinned build, so none is reported edited", {
  ignore: !canWrite,
}, async () => {
  assert.equal(OUTPUTS.length, 4, "names.txt, encoder.json, vocab.bpe and moby_dick.txt");
  assert.deepEqual(await editedOutputs(), []);
});

Deno.test("deno task data: an edited data file is reported, a missing or pristine one is not", {
  ignore: !canWrite,
}, async () => {
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-build-data-" });
  try {
    const output = new URL(`file://${dir}/names.txt`);
    const pinned = "emma\nava\n";
    const sha256 = createHash("sha256").update(pinned).digest("hex");
    const files = [{ output, sha256 }];
    assert.deepEqual(await editedOutputs(files), [], "absent: nothing to lose");
    Deno.writeTextFileSync(output, pinned);
    assert.deepEqual(await editedOutputs(files), [], "the pinned bytes: safe to rebuild");
    Deno.writeTextFileSync(output, pinned + "myownname\n");
    const [edited] = await editedOutputs(files);
    assert.match(edited, /names\.txt/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("data/README.md lists the sha256 that deno task data pins for every bundled file", () => {
  for (const { output, sha256 } of OUTPUTS) {
    assert.ok(dataReadme.includes(sha256), `data/README.md lacks ${output.pathname}'s ${sha256}`);
  }
});

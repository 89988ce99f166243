/**
 * `deno task web`: builds the playground (see `build.ts`) into a temporary directory and serves
 * it on http://localhost:8000 (`--port` to change), to this machine only.
 *
 * Every answer carries a Content-Security-Policy that allows requests to this server and
 * nothing else, so the page cannot reach the network even by mistake (no CDN, no web fonts).
 *
 * @module
 */

import { CliError, type Io, parseFlags, parseNumber, run } from "../lib/cli/common.ts";
import { writeSite } from "./build.ts";

const help = `Serve the microgpt playground on this machine.

Usage: deno task web [--port N]

  --port N     the port on 127.0.0.1 (default 8000; 0 picks a free one)
  -h, --help   show this help`;

/** Only these files exist; anything else is a 404. */
const types: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "worker.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

/** Requests may go to this origin only; SVG pictures are inline, downloads are blob: links. */
export const contentSecurityPolicy =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; worker-src 'self'; form-action 'none'; base-uri 'none'";

/**
 * The server's answer to one request: a file of the site, or 404.
 *
 * @param dir the built site
 * @param request the request
 * @returns the response
 * @example
 * ```ts
 * import { serveSite } from "./serve.ts";
 * const answer = await serveSite("dist/web", new Request("http://localhost/../secret.txt"));
 * console.log(answer.status); // 404
 * ```
 */
export async function serveSite(dir: string, request: Request): Promise<Response> {
  const name = new URL(request.url).pathname.replace(/^\/+/, "") || "index.html";
  const type = types[name];
  if (type === undefined) return new Response("not found\n", { status: 404 });
  return new Response(await Deno.readFile(`${dir}/${name}`), {
    headers: {
      "content-type": type,
      "content-security-policy": contentSecurityPolicy,
      "cache-control": "no-store",
    },
  });
}

async function main(args: string[], io: Io): Promise<void> {
  const flags = parseFlags(args, {
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return io.out(help);
  const port = flags.port === undefined
    ? 8000
    : parseNumber("port", flags.port as string, { min: 0, max: 65535, integer: true });
  // Listen first, so a port in use is reported before the build; requests wait for the build.
  const dir = await Deno.makeTempDir({ prefix: "microgpt-web-" });
  const stop = () => Deno.removeSync(dir, { recursive: true });
  let built: Promise<void> | undefined;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: "127.0.0.1", port, onListen: () => {} },
      async (request) => {
        await built;
        return serveSite(dir, request);
      },
    );
    built = writeSite(dir);
    await built;
  } catch (error) {
    stop();
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CliError(`port ${port} is in use; choose another with --port`);
    }
    throw error;
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      stop();
      Deno.exit(0);
    });
  }
  io.out(`playground on http://localhost:${server.addr.port}/ (Ctrl-C to stop)`);
  await server.finished;
}

if (import.meta.main) await run(main);

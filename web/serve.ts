/**
 * `deno task web`: builds the playground (see `build.ts`) into a temporary directory and serves
 * it on http://localhost:8000 (`--port` to change), to this machine only.
 *
 * Every answer carries a Content-Security-Policy that allows requests to this server and
 * nothing else, so the page cannot reach the network even by mistake (no CDN, no web fonts).
 *
 * @module
 */

import {
  CliError,
  type Io,
  parseFlags,
  parseNumber,
  type PermissionNeed,
  requirePermissions,
  run,
} from "../lib/cli/common.ts";
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

/**
 * Requests may go to this origin only; SVG pictures are inline, downloads are blob: links; and
 * no other site may show the page inside a frame of its own (where it could trick a click).
 */
export const contentSecurityPolicy =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; worker-src 'self'; form-action 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'";

/** What every answer carries, a refusal included. */
const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-frame-options": "DENY", // frame-ancestors, for browsers that predate it
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** A plain-text answer. */
function answer(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { ...securityHeaders, "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/**
 * The server's answer to one request: a file of the site, or a refusal. The site is read,
 * never changed, so GET and HEAD are the only methods (405 otherwise). The Host header must be
 * `localhost:PORT` or `127.0.0.1:PORT`: a page of another site can re-point its own name at
 * 127.0.0.1 ("DNS rebinding") and then read this server as if it were its own, but its requests
 * still carry its own name, and are refused (421).
 *
 * @param dir the built site
 * @param request the request
 * @param port the port the server listens on
 * @returns the response
 * @example
 * ```ts
 * import { serveSite } from "./serve.ts";
 * const answer = await serveSite("dist/web", new Request("http://localhost:8000/../x.txt"), 8000);
 * console.log(answer.status); // 404
 * ```
 */
export async function serveSite(dir: string, request: Request, port: number): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return answer(405, "only GET and HEAD are answered\n", { allow: "GET, HEAD" });
  }
  const host = (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
  if (host !== `localhost:${port}` && host !== `127.0.0.1:${port}`) {
    return answer(
      421,
      `this server answers only localhost:${port} and 127.0.0.1:${port}, not ${host}\n`,
    );
  }
  const name = new URL(request.url).pathname.replace(/^\/+/, "") || "index.html";
  const type = types[name];
  if (type === undefined) return answer(404, "not found\n");
  const body = request.method === "HEAD" ? null : await Deno.readFile(`${dir}/${name}`);
  return new Response(body, { headers: { ...securityHeaders, "content-type": type } });
}

/** What `deno task web` grants, and what the server does with each. */
const needs: PermissionNeed[] = [
  {
    descriptor: { name: "net", host: "127.0.0.1" },
    flag: "--allow-net=127.0.0.1",
    why: "to listen on this machine",
  },
  { descriptor: { name: "run" }, flag: "--allow-run", why: "to bundle the page with deno bundle" },
  {
    descriptor: { name: "read" },
    flag: "--allow-read",
    why: "to read the page's sources and serve it",
  },
  {
    descriptor: { name: "write" },
    flag: "--allow-write",
    why: "to build the page in a temporary folder",
  },
];

async function main(args: string[], io: Io): Promise<void> {
  const flags = parseFlags(args, {
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return io.out(help);
  const port = flags.port === undefined
    ? 8000
    : parseNumber("port", flags.port as string, { min: 0, max: 65535, integer: true });
  requirePermissions("deno task web", needs);
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
        return serveSite(dir, request, server.addr.port);
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

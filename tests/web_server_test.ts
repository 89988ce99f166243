// The playground's server answers only what it serves, to this machine only: GET and HEAD of
// the site's four files; any other method is 405 with an Allow header; a request whose Host is
// not 127.0.0.1:PORT or localhost:PORT (a page of another site that re-pointed its name at
// 127.0.0.1, "DNS rebinding") is refused; no other site may frame the page. The in-process
// tests need no permission; the one that starts the real server is skipped without them.

import assert from "node:assert/strict";
import { contentSecurityPolicy, serveSite } from "../web/serve.ts";

/** A built site of one page, in a temporary folder (needs read and write). */
function tinySite(): string {
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-site-" });
  Deno.writeTextFileSync(`${dir}/index.html`, "<p>hello</p>");
  return dir;
}

const port = 8123;
const at = (path: string, init?: RequestInit, host = `localhost:${port}`) =>
  new Request(`http://${host}${path}`, init);

const files = Deno.permissions.querySync({ name: "write" }).state === "granted" &&
  Deno.permissions.querySync({ name: "read" }).state === "granted";

Deno.test({
  name: "web server: GET and HEAD only; every other method is 405 with Allow: GET, HEAD",
  ignore: !files,
  fn: async () => {
    const dir = tinySite();
    try {
      const get = await serveSite(dir, at("/"), port);
      assert.equal(get.status, 200);
      assert.equal(await get.text(), "<p>hello</p>");
      const head = await serveSite(dir, at("/", { method: "HEAD" }), port);
      assert.equal(head.status, 200);
      assert.equal(head.body, null, "HEAD has no body");
      assert.equal(head.headers.get("content-type"), "text/html; charset=utf-8");
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"]) {
        const answer = await serveSite(dir, at("/", { method }), port);
        assert.equal(answer.status, 405, method);
        assert.equal(answer.headers.get("allow"), "GET, HEAD", method);
        await answer.body?.cancel();
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("web server: only Host 127.0.0.1:PORT and localhost:PORT are answered", async () => {
  for (
    const host of [
      "evil.example",
      `evil.example:${port}`,
      `localhost:${port + 1}`,
      "localhost",
      `127.0.0.2:${port}`,
      `localhost.:${port}`,
    ]
  ) {
    const answer = await serveSite("/nonexistent", at("/", {}, host), port);
    assert.equal(answer.status, 421, host);
    assert.match(await answer.text(), /only localhost:8123 and 127\.0\.0\.1:8123/);
  }
  // A Host header that differs from the address asked for is what counts.
  const rebound = new Request(`http://localhost:${port}/`, { headers: { host: "evil.example" } });
  assert.equal((await serveSite("/nonexistent", rebound, port)).status, 421);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
    const answer = await serveSite("/nonexistent", at("/missing.txt", {}, host), port);
    assert.equal(answer.status, 404, `${host} is answered (here with 404: no such file)`);
  }
});

Deno.test("web server: no other site may frame the page", async () => {
  assert.match(contentSecurityPolicy, /frame-ancestors 'none'/);
  const answer = await serveSite("/nonexistent", at("/nothing"), port);
  assert.match(answer.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  assert.equal(answer.headers.get("x-frame-options"), "DENY");
  await answer.body?.cancel();
});

const canServe = files && Deno.permissions.querySync({ name: "run" }).state === "granted";

/**
 * Sends one raw HTTP/1.1 request (with any Host header) and returns the status line. It is
 * sent by a child process, so that the tests need no network permission of their own.
 */
async function rawRequest(port: number, lines: string[]): Promise<string> {
  const request = [...lines, "Connection: close", "", ""].join("\r\n");
  const code = `const c = await Deno.connect({ hostname: "127.0.0.1", port: ${port} });
    await c.write(new TextEncoder().encode(Deno.args[0]));
    const b = new Uint8Array(4096); const n = await c.read(b);
    console.log(new TextDecoder().decode(b.subarray(0, n ?? 0)).split("\\r\\n")[0]);`;
  const { stdout } = await new Deno.Command(Deno.execPath(), { args: ["eval", code, request] })
    .output();
  return new TextDecoder().decode(stdout).trim();
}

Deno.test({
  name: "deno task web: a real server refuses a foreign Host and a POST; --port 0x50 is refused",
  ignore: !canServe,
  async fn() {
    const serve = new URL("../web/serve.ts", import.meta.url).pathname;
    const flags = [
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-net=127.0.0.1",
    ];
    const hex = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, serve, "--port", "0x50"],
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(hex.code, 2);
    assert.equal(
      new TextDecoder().decode(hex.stderr).trim(),
      'error: --port must be a whole number, got "0x50"',
    );

    const server = new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, serve, "--port", "0"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const port = Number((await reader.read()).value?.match(/localhost:(\d+)/)?.[1]);
      assert.ok(port > 0);
      const get = (host: string) => rawRequest(port, ["GET / HTTP/1.1", `Host: ${host}`]);
      assert.equal(await get(`localhost:${port}`), "HTTP/1.1 200 OK");
      assert.equal(await get(`127.0.0.1:${port}`), "HTTP/1.1 200 OK");
      assert.match(await get(`rebound.example:${port}`), /^HTTP\/1\.1 421 /);
      assert.match(
        await rawRequest(port, ["POST / HTTP/1.1", `Host: localhost:${port}`, "Content-Length: 0"]),
        /^HTTP\/1\.1 405 /,
      );
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await reader.cancel();
    }
  },
});

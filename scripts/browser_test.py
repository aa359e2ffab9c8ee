"""The api example in a real browser: Debian's Chromium, headless, driven by Playwright.

Run by scripts/browser_test.sh, which installs Chromium and Playwright and builds the example:

    python3 scripts/browser_test.py --binary target/debug/examples/api [--screenshots docs/screenshots]

It starts the example on 127.0.0.1 with a database in a temporary directory, then adds, filters,
pages and deletes through the page, sees the 422 message, watches a change made in one browser
context appear in another (server-sent events), checks that the server-rendered page shows a
hostile title as text, stops the server with SIGTERM while pages are connected, starts it again on
the same file (the page reconnects and the data is still there), and stops it with Ctrl-C (SIGINT).
Any console error or uncaught exception in a page fails the test. Screenshots go to --screenshots.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# What works in containers and CI: no sandbox (we are root), no GPU, and nothing that talks to
# the network on its own (QUIC probes, component updates, sync, first-run pages).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The whole run, server starts and browser included, must end within this many seconds.
DEADLINE = 300
# Each wait in a page.
STEP_TIMEOUT_MS = 10_000
HOSTILE = "<script>alert(1)</script>"


def free_port():
    """A port on 127.0.0.1 that is free now, so that a restart can use the same address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The example binary on 127.0.0.1:`port`, with its output collected."""

    def __init__(self, binary, port, database):
        env = dict(os.environ, PORT=str(port), DATABASE_PATH=database, ADMIN_TOKEN="browser-test")
        self.proc = subprocess.Popen(
            [binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            self.proc.kill()
            sys.exit("the example did not start within 30 s:\n" + "".join(self.lines))
        self.base = f"http://127.0.0.1:{port}"

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("bookmarks API listening on "):
                self.ready.set()

    def stop(self, sig, name):
        """Sends `sig` and checks a graceful, prompt exit."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"{name} did not stop the server within 10 s")
        took = time.monotonic() - started
        out = "".join(self.lines)
        assert code == 0, f"exit code {code} after {name}:\n{out}"
        assert f"{name}: shutting down gracefully" in out and "stopped" in out, out
        print(f"  {name}: stopped gracefully in {took:.2f} s")
        return took

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def post(base, url, title, tags=()):
    """Adds a bookmark through the API, as another program would."""
    body = json.dumps({"url": url, "title": title, "tags": list(tags)}).encode()
    req = urllib.request.Request(
        f"{base}/bookmarks", data=body, headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as res:
        assert res.status == 201, res.status
        return json.load(res)


class Watched:
    """A page whose console errors, uncaught exceptions and dialogs are recorded as problems.

    One kind of console error is the browser's, not the page's: Chromium logs every HTTP error
    response to a fetch ("Failed to load resource: ... status of 422"). The test announces each one
    it causes on purpose with `expect_error`; it must then come exactly once.
    """

    def __init__(self, context, name, problems):
        self.page = context.new_page()
        self.page.set_default_timeout(STEP_TIMEOUT_MS)
        self.name = name
        self.expected = []
        self.problems = problems
        page = self.page
        page.on("console", self._console)
        page.on("pageerror", lambda e: problems.append(f"{name}: uncaught: {e}"))

        def dialog(d):
            problems.append(f"{name}: a dialog opened ({d.type}: {d.message!r})")
            d.dismiss()

        page.on("dialog", dialog)

    def _console(self, message):
        if message.type != "error":
            return
        for pattern in self.expected:
            if pattern.search(message.text):
                self.expected.remove(pattern)
                return
        self.problems.append(f"{self.name}: console error: {message.text}")

    def expect_error(self, pattern):
        self.expected.append(re.compile(pattern))

    def check_expected_errors(self):
        for pattern in self.expected:
            self.problems.append(f"{self.name}: the expected console error /{pattern.pattern}/ never came")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshots", default="docs/screenshots")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    def shot(page, name):
        page.screenshot(path=os.path.join(args.screenshots, name), full_page=True)

    # A hung browser or server must not hang CI.
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"browser test over its {DEADLINE} s deadline"))
    signal.alarm(DEADLINE)

    started = time.monotonic()
    tmp = tempfile.TemporaryDirectory(prefix="waymark-browser-")
    database = os.path.join(tmp.name, "bookmarks.db")
    port = free_port()
    server = Server(args.binary, port, database)
    base = server.base
    problems = []
    steps = []

    def step(text):
        steps.append(text)
        print(f"- {text}", flush=True)

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            # Two contexts are two browsers as far as the server can tell (separate cookies).
            ctx_a = browser.new_context(viewport={"width": 900, "height": 760})
            ctx_b = browser.new_context(viewport={"width": 900, "height": 760})
            watched_a = Watched(ctx_a, "page A", problems)
            watched_b = Watched(ctx_b, "page B", problems)
            a, b = watched_a.page, watched_b.page

            step("the page lists the three example bookmarks and goes live")
            a.goto(base + "/")
            expect(a.locator("#live")).to_have_text("live")
            expect(a.locator("#list li")).to_have_count(3)
            expect(a.locator("#count")).to_have_text("3 bookmarks")

            step("add through the form")
            a.fill("#add [name=url]", "https://www.sqlite.org/")
            a.fill("#add [name=title]", "SQLite")
            a.fill("#add [name=tags]", "db, c")
            a.click("#add button")
            expect(a.locator("#list li", has_text="SQLite")).to_have_count(1)
            expect(a.locator("#count")).to_have_text("4 bookmarks")
            expect(a.locator("#add [name=url]")).to_have_value("")
            # The first add gave this browser a session cookie, which marks its own bookmarks.
            expect(a.locator("#list li", has_text="SQLite").locator(".mine")).to_have_text("yours")
            expect(a.locator("#list .mine")).to_have_count(1)

            step("a tag the API refuses shows its 422 message, and nothing is added")
            a.fill("#add [name=url]", "https://example.com/")
            a.fill("#add [name=title]", "Bad tags")
            a.fill("#add [name=tags]", "two words")
            watched_a.expect_error(r"^Failed to load resource: the server responded with a status of 422\b")
            a.click("#add button")
            expect(a.locator("#error")).to_be_visible()
            expect(a.locator("#error")).to_contain_text('tags: tag "two words" must be 1 to 30 characters')
            expect(a.locator("#count")).to_have_text("4 bookmarks")
            shot(a, "error-422.png")
            a.fill("#add [name=tags]", "")
            a.fill("#add [name=title]", "")
            a.fill("#add [name=url]", "")

            step("filter by tag, by typing and by clicking a tag, then all again")
            a.fill("#filter [name=tag]", "rust")
            a.click("#filter button")
            expect(a.locator("#count")).to_have_text("2 bookmarks tagged rust")
            expect(a.locator("#list li")).to_have_count(2)
            expect(a.locator("#error")).to_be_hidden()
            a.click("#clear")
            expect(a.locator("#count")).to_have_text("4 bookmarks")
            a.locator("#list li", has_text="SQLite").locator("button.tag", has_text="db").click()
            expect(a.locator("#count")).to_have_text("1 bookmark tagged db")
            a.click("#clear")
            expect(a.locator("#count")).to_have_text("4 bookmarks")

            step("page: twelve bookmarks are ten and a More button")
            for n in range(1, 9):
                post(base, f"https://example.com/{n}", f"Example {n}", ["example"])
            # Page A hears each of these over /events and reloads its rows.
            expect(a.locator("#count")).to_have_text("12 bookmarks")
            a.reload()
            expect(a.locator("#live")).to_have_text("live")
            expect(a.locator("#list li")).to_have_count(10)
            expect(a.locator("#more")).to_be_visible()
            a.click("#more")
            expect(a.locator("#list li")).to_have_count(12)
            expect(a.locator("#more")).to_be_hidden()

            step("delete from the page")
            a.locator("#list li", has_text="Example 8").locator("button.delete").click()
            expect(a.locator("#list li", has_text="Example 8")).to_have_count(0)
            expect(a.locator("#count")).to_have_text("11 bookmarks")

            step("live: what page B adds and deletes shows up in page A without a reload; each is marked in its own browser only")
            b.goto(base + "/")
            expect(b.locator("#live")).to_have_text("live")
            b.click("#more")
            expect(b.locator("#list li")).to_have_count(11)
            expect(b.locator("#list .mine")).to_have_count(0)
            b.fill("#add [name=url]", "https://example.com/from-b")
            b.fill("#add [name=title]", "Added in page B")
            b.click("#add button")
            expect(b.locator("#list li", has_text="Added in page B").locator(".mine")).to_have_count(1)
            expect(a.locator("#list li", has_text="Added in page B")).to_have_count(1)
            expect(a.locator("#list li", has_text="Added in page B").locator(".mine")).to_have_count(0)
            expect(a.locator("#list .mine")).to_have_count(1)
            expect(a.locator("#count")).to_have_text("12 bookmarks")
            shot(a, "live-page.png")
            b.locator("#list li", has_text="Added in page B").locator("button.delete").click()
            expect(a.locator("#list li", has_text="Added in page B")).to_have_count(0)
            expect(a.locator("#count")).to_have_text("11 bookmarks")

            step("a hostile title is text on the live page and on the server-rendered one")
            a.fill("#add [name=url]", "https://evil.example/")
            a.fill("#add [name=title]", HOSTILE)
            a.fill("#add [name=tags]", "xss")
            a.click("#add button")
            expect(a.locator("#list li a", has_text=HOSTILE)).to_have_count(1)
            b.goto(base + "/bookmarks.html?tag=xss")
            expect(b.locator("#list li a").first).to_have_text(HOSTILE)
            expect(b.locator("#count")).to_have_text("1 bookmark tagged xss")
            assert b.locator("script").count() == 0, "the server-rendered page has a script element"
            html = b.content()
            assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, html
            b.goto(base + "/bookmarks.html?limit=5")
            expect(b.locator("#list li")).to_have_count(5)
            b.click("a[rel=next]")
            expect(b).to_have_url(re.compile(r"/bookmarks\.html\?limit=5&offset=5$"))
            expect(b.locator("#list li")).to_have_count(5)
            b.goto(base + "/bookmarks.html")
            shot(b, "server-rendered.png")

            step("SIGTERM with both pages connected: a prompt graceful stop; a restart keeps the data")
            server.stop(signal.SIGTERM, "SIGTERM")
            expect(a.locator("#live")).to_have_text("reconnecting")
            server = Server(args.binary, port, database)
            expect(a.locator("#live")).to_have_text("live")
            a.reload()
            expect(a.locator("#count")).to_have_text("12 bookmarks")
            # The session outlives the restart: the key that signs it is in the database.
            expect(a.locator("#list li", has_text="SQLite").locator(".mine")).to_have_count(1)
            expect(a.locator("#list li a", has_text=HOSTILE)).to_have_count(0)  # on page 2
            a.click("#more")
            expect(a.locator("#list li a", has_text=HOSTILE)).to_have_count(1)

            watched_a.check_expected_errors()
            watched_b.check_expected_errors()
            browser.close()
        server.stop(signal.SIGINT, "Ctrl-C")
    except BaseException:
        print(f"failed at: {steps[-1] if steps else 'the start'}")
        print(f"browser: {len(steps) - 1} passed, 1 failed")
        print("server output:\n" + "".join(server.lines))
        raise
    finally:
        server.kill()
        tmp.cleanup()

    if problems:
        print(f"browser: {len(steps)} passed, 1 failed")
        sys.exit("browser test failed:\n  " + "\n  ".join(problems))
    print(f"browser test took {time.monotonic() - started:.1f} s; screenshots in {args.screenshots}/")
    print(f"browser: {len(steps)} passed, 0 failed")


if __name__ == "__main__":
    main()

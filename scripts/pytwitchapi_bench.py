#!/usr/bin/env python3
"""pyTwitchAPI's UserAuthenticationStorageHelper and this crate's `token` example, against the
same fake id.twitch.tv (`examples/fake_server`) on loopback: time per bind, requests per bind,
and the wall time and peak memory of a whole process doing one bind.

    cargo build --release --example fake_server --example token
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install twitchAPI
    /tmp/venv/bin/python scripts/pytwitchapi_bench.py \
        --fake target/release/examples/fake_server --token target/release/examples/token

Paths: a valid stored token, an expired one (pyTwitchAPI's two-key file cannot say when it
expires), and no file: a login whose browser step is simulated (pyTwitchAPI's own
UserAuthenticator, `use_browser=False`, its URL fetched by urllib on a free port). The browser's
`GET authorize` is counted apart.

One shim: the fake reads the token endpoint's parameters from a form body only, and
pyTwitchAPI's code exchange sends them in the URL query (its client secret included), so
aiohttp's `post` moves a query on `.../token` into the body. The request count is unchanged.
Without pyTwitchAPI installed, only the `token` process figures are measured.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SCOPES = ["chat:read", "chat:edit"]


class Fake:
    """examples/fake_server, driven through its stdin."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        info = dict(self.proc.stdout.readline().split(" ", 1) for _ in range(3))
        self.url, self.client_id, self.secret = (info[k].strip() for k in ("url", "client_id", "client_secret"))
        self.proc.stdout.readline()  # the initial grant

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def grant(self):
        _, access, refresh = self.ask("grant " + " ".join(SCOPES))
        return access, refresh

    def log(self):
        self.proc.stdin.write("log\n")
        self.proc.stdin.flush()
        lines = []
        while (line := self.proc.stdout.readline().strip()) != "end":
            lines.append(line)
        return lines

    def close(self):
        self.proc.communicate()  # closes stdin; the fake prints its log and exits


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(fake, directory, path):
    """The token file for `path` ("valid", "expired" or "login"); returns its name."""
    file = os.path.join(directory, "user_token.json")
    if path != "login":
        access, refresh = fake.grant()
        if path == "expired":
            fake.ask("expire " + access)
        with open(file, "w") as f:
            json.dump({"token": access, "refresh": refresh}, f)
    return file


def requests_since(fake, before):
    """The requests bind() made since `before`, and the browser's visits, apart."""
    log = fake.log()[before:]
    browser = [line for line in log if line.startswith("GET /oauth2/authorize")]
    made = [line.replace("/oauth2/", "") for line in log if line not in browser]
    return made, len(browser)


def summary(times):
    times = sorted(times)
    p90 = times[max(0, -(-len(times) * 9 // 10) - 1)]
    return f"{statistics.median_low(times) * 1000:9.2f} ms {p90 * 1000:9.2f} ms"


# --- pyTwitchAPI in this process ---------------------------------------------------------------

def patch_aiohttp():
    import aiohttp
    import yarl

    original = aiohttp.ClientSession.post

    def post(self, url, **kwargs):
        u = yarl.URL(str(url))
        if u.path.endswith("/token") and u.query and "data" not in kwargs:
            kwargs["data"] = dict(u.query)
            url = str(u.with_query(None))
        return original(self, url, **kwargs)

    aiohttp.ClientSession.post = post


async def py_bind(fake, file):
    from twitchAPI.oauth import UserAuthenticationStorageHelper, UserAuthenticator
    from twitchAPI.twitch import Twitch
    from twitchAPI.type import AuthScope

    scopes = [AuthScope.CHAT_READ, AuthScope.CHAT_EDIT]
    twitch = await Twitch(fake.client_id, fake.secret, authenticate_app=False, auth_base_url=fake.url)
    port = free_port()

    async def login(twitch, scopes):  # pyTwitchAPI's default generator, the browser simulated
        auth = UserAuthenticator(twitch, scopes, force_verify=True, url=f"http://localhost:{port}",
                                 host="127.0.0.1", port=port, auth_base_url=fake.url)

        async def browse(url):
            threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()).start()

        return await auth.authenticate(use_browser=False, auth_url_callback=browse)

    helper = UserAuthenticationStorageHelper(twitch, scopes, storage_path=file,
                                             auth_generator_func=login, auth_base_url=fake.url)
    start = time.perf_counter()
    await helper.bind()
    return time.perf_counter() - start


def bench_pytwitchapi(fake, runs):
    patch_aiohttp()
    print(f"pyTwitchAPI {version('twitchAPI')}: {runs} binds per path, each with a fresh Twitch and helper")
    print(f"{'path':<36} {'median':>12} {'p90':>12}  requests browser  requests made by bind()")
    for path, name in (("valid", "valid stored token"), ("expired", "expired (2-key file)"),
                       ("login", "no file: login (browser simulated)")):
        times, shapes = [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as directory:
                file = prepare(fake, directory, path)
                before = len(fake.log())
                times.append(asyncio.run(py_bind(fake, file)))
                made, browser = requests_since(fake, before)
                if (made, browser) not in shapes:
                    shapes.append((made, browser))
        for made, browser in shapes:
            print(f"{name:<36} {summary(times)}  {len(made):<8} {browser:<7}  {', '.join(made)}")


# --- whole processes doing one bind ------------------------------------------------------------

PY_ONE = """
import asyncio, sys, time
t0 = time.perf_counter()
from twitchAPI.oauth import UserAuthenticationStorageHelper
from twitchAPI.twitch import Twitch
from twitchAPI.type import AuthScope
t1 = time.perf_counter()
async def main(url, cid, secret, file):
    twitch = await Twitch(cid, secret, authenticate_app=False, auth_base_url=url)
    helper = UserAuthenticationStorageHelper(twitch, [AuthScope.CHAT_READ, AuthScope.CHAT_EDIT],
                                             storage_path=file, auth_base_url=url)
    await helper.bind()
asyncio.run(main(*sys.argv[1:5]))
print(f"import {(t1 - t0) * 1000:.1f}", file=sys.stderr)
"""


def run_process(argv):
    """Wall time, peak RSS (kB, from GNU time; None without it) and stderr of one process.

    Not os.wait4's ru_maxrss: a child forked from this interpreter starts with its RSS."""
    gnu_time = os.path.exists("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r") as out:
        prefix = ["/usr/bin/time", "-f", "%M", "-o", out.name] if gnu_time else []
        start = time.perf_counter()
        child = subprocess.run(prefix + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        if child.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {child.stderr}")
        return elapsed, int(out.read().split()[-1]) if gnu_time else None, child.stderr


def bench_processes(fake, token, runs, with_python):
    print(f"\nwhole process doing one bind ({runs} runs each): median wall time, peak RSS")
    rows = []
    if token:
        rows.append(("token (this crate)", lambda f: [token, "--client-id", fake.client_id,
                                                      "--client-secret", fake.secret, "--auth-base-url",
                                                      fake.url, "--path", f, "--no-browser",
                                                      "--scopes", " ".join(SCOPES)]))
    if with_python:
        rows.append(("python + pyTwitchAPI", lambda f: [sys.executable, "-c", PY_ONE, fake.url,
                                                        fake.client_id, fake.secret, f]))
    for name, argv in rows:
        for path in ("valid", "expired"):
            times, rss, imports = [], [], []
            for _ in range(runs):
                with tempfile.TemporaryDirectory() as directory:
                    file = prepare(fake, directory, path)
                    elapsed, maxrss, stderr = run_process(argv(file))
                    times.append(elapsed)
                    rss.append(maxrss)
                    imports += [float(l.split()[1]) for l in stderr.splitlines() if l.startswith("import ")]
            extra = f", imports {statistics.median(imports):.0f} ms" if imports else ""
            peak = f"{max(rss) / 1024:6.1f} MB" if None not in rss else "n/a (no /usr/bin/time)"
            print(f"{name:<22} {path:<8} {statistics.median_low(times) * 1000:8.1f} ms  peak RSS {peak}{extra}")


def version(package):
    from importlib.metadata import version as v
    return v(package)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fake", required=True, help="path to examples/fake_server")
    parser.add_argument("--token", help="path to examples/token (whole-process figures)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--process-runs", type=int, default=10)
    args = parser.parse_args()
    try:
        import twitchAPI  # noqa: F401
        have_py = True
    except ImportError:
        have_py = False
        print("twitchAPI is not installed: pyTwitchAPI figures skipped")
    fake = Fake(args.fake)
    try:
        if have_py:
            bench_pytwitchapi(fake, args.runs)
        bench_processes(fake, args.token, args.process_runs, have_py)
    finally:
        fake.close()


if __name__ == "__main__":
    main()

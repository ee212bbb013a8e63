"""The resident app's budget (issue 4): first-visit bytes, repeat visits, Lighthouse.

Run from the project root with the venv active and `npm ci` done (Lighthouse is a devDependency):

    python bench/budget/run.py              # about 2 minutes
    python bench/budget/run.py --no-lighthouse

It starts `net119 demo` on 127.0.0.1 (stopped in a ``finally``, and by PR_SET_PDEATHSIG should
this process die), logs the demo resident in, and measures in Debian's chromium:

1. First visit of the start page `/`, logged in, empty cache and no service worker: every
   HTML, CSS, JS and font response up to the load event, with the bytes that crossed the
   wire (compressed as served: the app compresses with flask-compress) and the bytes
   uncompressed. Target: at most 45 KB.
2. A repeat visit, once the service worker is installed: every static file must come from
   the service worker's cache, and the worker must fetch none of them from the network.
3. Lighthouse (mobile emulation, simulated slow 4G and 4x CPU slowdown, its defaults) on `/`
   and on the chat of a report, the median of --runs runs (Lighthouse's own advice: its
   simulation scales the main-thread time it observes, which a busy machine inflates).
   Targets: performance >= 0.95, accessibility = 1.0.
"""
import argparse
import ctypes
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one list of flags)

HOST = "127.0.0.1"
PORT = 5119
BUDGET_BYTES = 45 * 1024
CRITICAL_TYPES = {"document", "stylesheet", "script", "font"}
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PERFORMANCE_TARGET, ACCESSIBILITY_TARGET = 0.95, 1.0


def start_demo(data_dir):
    """`net119 demo` on HOST:PORT; returns the process and the demo accounts."""
    def die_with_parent():
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)

    log = open(Path(data_dir) / "server.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "app", "demo", "--host", HOST, "--port", str(PORT),
                                "--data", str(data_dir)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=die_with_parent)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=1):
                return process, json.loads((Path(data_dir) / "demo-accounts.json").read_text())
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the demo server did not start; see " + log.name)


def log_in(page, base, account):
    page.goto(base + "/login")
    page.get_by_label(re.compile("ID")).fill(account["login"])
    page.get_by_label("パスワード").fill(account["password"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("button", name=re.compile("^火事")).wait_for()


def first_visit(browser, base, cookies):
    """The start page in a fresh profile that has only the login cookie."""
    context = browser.new_context(locale="ja-JP", service_workers="block")
    context.add_cookies(cookies)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(base + "/", wait_until="load")
    rows = []
    for response in responses:
        kind = response.request.resource_type
        sizes = response.request.sizes()
        rows.append({"url": response.url.removeprefix(base), "type": kind,
                     "encoding": response.headers.get("content-encoding", "-"),
                     "wire": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                     "body": sizes["responseBodySize"], "raw": len(response.body()),
                     "critical": kind in CRITICAL_TYPES})
    context.close()
    return rows


def repeat_visit(browser, base, account):
    """Visit, let the service worker save the shell, visit again: what came from the network?"""
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    log_in(page, base, account)
    page.wait_for_function("document.documentElement.dataset.cardSaved === 'yes'", timeout=60_000)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    from_page, from_worker = [], []
    context.on("request", lambda r: r.service_worker and "/static/" in r.url and from_worker.append(r.url))
    page.on("response", lambda r: "/static/" in r.url and from_page.append((r.url.removeprefix(base),
                                                                             r.from_service_worker)))
    page.goto(base + "/", wait_until="load")
    page.wait_for_timeout(1000)
    # The chat of a report, for Lighthouse (and to see that the cookie works).
    page.get_by_role("button", name=re.compile("^救急")).click()
    page.get_by_role("button", name=re.compile("^自宅")).click()
    page.get_by_text("受信した消防本部").wait_for()
    chat_url = page.url
    cookies = context.cookies()
    context.close()
    return from_page, from_worker, chat_url, cookies


def lighthouse(url, cookies, out_dir, run=0):
    """Lighthouse's mobile defaults, in Debian's chromium with the machine's flags."""
    header = {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)}
    name = "start" if url.endswith("/") else "chat"
    report = Path(out_dir) / f"lighthouse-{name}-{run + 1}.json"
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
                    "--only-categories=performance,accessibility", f"--chrome-flags={flags}",
                    f"--extra-headers={json.dumps(header)}"],
                   check=True, cwd=ROOT, env={**os.environ, "CHROME_PATH": CHROMIUM})
    result = json.loads(report.read_text())
    audits = result["audits"]
    failed = [a for a in result["categories"]["accessibility"]["auditRefs"]
              if audits[a["id"]]["score"] is not None and audits[a["id"]]["score"] < 1 and a["weight"] > 0]
    return {"performance": result["categories"]["performance"]["score"],
            "accessibility": result["categories"]["accessibility"]["score"],
            "metrics": {key: audits[key]["displayValue"] for key in
                        ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                         "cumulative-layout-shift", "speed-index")},
            "accessibility_failures": [a["id"] for a in failed]}


def verdict(ok):
    return "met" if ok else "NOT met"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lighthouse", action="store_true", help="skip the Lighthouse runs")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (the median counts)")
    parser.add_argument("--reports", type=Path, help="keep Lighthouse's JSON reports in this folder")
    args = parser.parse_args()
    base = f"http://{HOST}:{PORT}"
    with tempfile.TemporaryDirectory(prefix="net119-budget-") as data_dir:
        server, accounts = start_demo(data_dir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                from_page, from_worker, chat_url, cookies = repeat_visit(browser, base, accounts["residents"][0])
                rows = first_visit(browser, base, cookies)
                browser.close()

            print("1. First visit of / (logged in; empty cache, no service worker), up to the load event")
            print(f"   {'':44} {'type':10} {'encoding':8} {'on the wire':>11} {'uncompressed':>12}")
            for row in rows:
                mark = "*" if row["critical"] else " "
                print(f"   {mark} {row['url'][:42]:42} {row['type']:10} {row['encoding']:8} "
                      f"{row['wire']:>11,} {row['raw']:>12,}")
            critical = [r for r in rows if r["critical"]]
            wire, raw = sum(r["wire"] for r in critical), sum(r["raw"] for r in critical)
            print(f"   critical path (*: HTML, CSS, JS, fonts): {len(critical)} responses, {wire:,} bytes on the "
                  f"wire incl. headers ({wire / 1024:.1f} KB), {raw:,} uncompressed "
                  f"[target <= 45 KB: {verdict(wire <= BUDGET_BYTES)}]")

            print("\n2. Repeat visit of /, service worker installed")
            network = [url for url, from_sw in from_page if not from_sw]
            print(f"   static files: {len(from_page)} requested, {len(from_page) - len(network)} answered by the "
                  f"service worker, {len(network)} from the network; the worker fetched {len(from_worker)} "
                  f"[target: none from the network: {verdict(not network and not from_worker)}]")
            for url in network + from_worker:
                print("     from the network:", url)

            if not args.no_lighthouse:
                print("\n3. Lighthouse", subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True,
                                                       text=True).stdout.strip(), "(mobile, simulated throttling)")
                for url in (base + "/", chat_url):
                    out_dir = args.reports or Path(data_dir)
                    out_dir.mkdir(parents=True, exist_ok=True)
                    runs = sorted((lighthouse(url, cookies, out_dir, i) for i in range(args.runs)),
                                  key=lambda r: r["performance"])
                    result = runs[len(runs) // 2]
                    performance = statistics.median(r["performance"] for r in runs)
                    ok = performance >= PERFORMANCE_TARGET and result["accessibility"] >= ACCESSIBILITY_TARGET
                    scores = ", ".join(f"{r['performance']:.2f}" for r in runs)
                    print(f"   {url.removeprefix(base):24} performance {performance:.2f} (median of {scores})  "
                          f"accessibility {result['accessibility']:.2f}  [{verdict(ok)}]")
                    print("     median run: " + ", ".join(f"{k} {v}" for k, v in result["metrics"].items()))
                    if result["accessibility_failures"]:
                        print("     accessibility audits failed:", ", ".join(result["accessibility_failures"]))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

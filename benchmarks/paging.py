"""Paging benchmark (issue 17): how a long session opens, and its record pages.

    .venv/bin/python benchmarks/paging.py [--sizes 1000,10000,100000] [--runs 3]

For each size, in a fresh instance folder (SQLite): ``flask db upgrade``, the demo
(``seed-demo``), and the demo's live session filled to that many events by
``benchmarks/long_session.py`` (the real record path up to 10,000; ``--fast``, the
chained bulk builder, above). Then ``python wsgi.py`` (eventlet) is started and:

- ``join`` (a Shizuoka student, signed in by cookie, python-socketio over WebSocket):
  time from emit to ack and the ack's JSON size, median of ``--runs``;
- the room page in Debian's Chromium (Playwright, /usr/bin/chromium): time from
  ``page.goto`` to the latest message drawn, and the page's DOM nodes then, median;
- the session is closed (sealed) and a reviewer opens its record: ``transcript.html``,
  ``.json``, ``.csv`` and the review page (the paged ones: first, middle and last
  page), time to the first and the last byte and bytes each, and the server's peak RSS
  (VmHWM) after them;
- verification: the step itself, timed in one process after start-up (wall and CPU
  time: on a loaded machine the wall time is mostly waiting for a CPU)
  (``verification.verify_stored`` on the database, ``verification.verify_bytes`` on the
  downloaded export), and the whole ``forum verify FILE`` and ``forum verify
  --session ID`` commands (start-up included).

Writes ``benchmarks/results/paging.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import flask_cli, server_env, start_server  # noqa: E402

NS = "/live"


def sign_in(url: str, user: dict) -> requests.Session:
    import re

    http = requests.Session()
    path = "/auth/code" if "code" in user else "/auth/login"
    form = (
        {"code": user["code"]}
        if "code" in user
        else {"username": user["username"], "password": user["password"]}
    )
    html = http.get(url + path, timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    response = http.post(
        url + path, data={**form, "csrf_token": token}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302, response.text
    return http


def cookie_of(http: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def measure_join(url: str, cookie: str, sid: int, runs: int) -> dict:
    times, sizes, last_message = [], [], None
    for _ in range(runs):
        sio = socketio.Client(reconnection=False)
        sio.connect(
            url,
            namespaces=[NS],
            transports=["websocket"],
            headers={"Cookie": cookie},
            wait_timeout=10,
        )
        began = time.perf_counter()
        ack = sio.call("join", {"session_id": sid}, namespace=NS, timeout=60)
        times.append(time.perf_counter() - began)
        assert ack["ok"], ack
        sizes.append(len(json.dumps(ack, ensure_ascii=False).encode()))
        posted = [e for e in ack["events"] if e["type"] == "message.posted"]
        last_message = posted[-1]["data"]["message_id"]
        sio.disconnect()
    return {
        "ack_ms": round(statistics.median(times) * 1000, 1),
        "ack_ms_all": [round(t * 1000, 1) for t in times],
        "ack_bytes": statistics.median(sizes),
        "events": len(ack["events"]),
        "history_before": ack.get("history_before"),
        "last_message": last_message,
    }


def measure_browser(url: str, student: dict, sid: int, last_message: int, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from browsers import launch

    times, nodes = [], []
    with sync_playwright() as p:
        browser = launch(p)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/auth/code?lang=ja")
            page.fill("input[name=code]", student["code"])
            page.click("form button[type=submit]")
            page.wait_for_url(url + "/")
            began = time.perf_counter()
            page.goto(f"{url}/sessions/{sid}")
            page.wait_for_selector(f".msg[data-message-id='{last_message}']", state="visible")
            times.append(time.perf_counter() - began)
            nodes.append(page.evaluate("document.getElementsByTagName('*').length"))
            context.close()
        browser.close()
    return {
        "latest_shown_s": round(statistics.median(times), 3),
        "latest_shown_s_all": [round(t, 3) for t in times],
        "dom_nodes": max(nodes),
    }


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# Timed inside one process, after start-up: the verification step itself.
VERIFY_STEP = """
import json, sys, time
from pathlib import Path
from forum import create_app
from forum.evidence import verification
from forum.extensions import db
from forum.models import ForumSession

app = create_app()
with app.app_context():
    session = db.session.get(ForumSession, int(sys.argv[1]))
    began, cpu = time.perf_counter(), time.process_time()
    stored = verification.verify_stored(session)
    stored_s, stored_cpu = time.perf_counter() - began, time.process_time() - cpu
    raw = Path(sys.argv[2]).read_bytes()
    began, cpu = time.perf_counter(), time.process_time()
    filed = verification.verify_bytes(raw)
    file_s, file_cpu = time.perf_counter() - began, time.process_time() - cpu
print(json.dumps({"stored_s": round(stored_s, 3), "stored_cpu_s": round(stored_cpu, 3),
                  "stored": stored.line[:40], "file_s": round(file_s, 3),
                  "file_cpu_s": round(file_cpu, 3), "file": filed.line[:40]}))
"""


def timed_get(http: requests.Session, url: str) -> tuple[requests.Response, float, float]:
    """A response read to its end: seconds to the first byte and to the last."""
    began = time.perf_counter()
    response = http.get(url, timeout=600, stream=True)
    chunks = response.iter_content(64 * 1024)
    first = next(chunks, b"")
    first_s = time.perf_counter() - began
    response._content = first + b"".join(chunks)
    return response, first_s, time.perf_counter() - began


def measure_record(url: str, reviewer: dict, sid: int, env: dict, pid: int, folder: Path) -> dict:
    import re

    http = sign_in(url, reviewer)
    out: dict = {"rss_before_mb": peak_rss_mb(pid)}
    pages = {}
    for name, path in (
        ("html", f"/sessions/{sid}/transcript.html"),
        ("json", f"/sessions/{sid}/transcript.json"),
        ("csv", f"/sessions/{sid}/transcript.csv"),
        ("review", f"/review/sessions/{sid}"),
    ):
        response, first_s, total_s = timed_get(http, url + path)
        out[name] = {
            "status": response.status_code,
            "s": round(total_s, 2),
            "first_byte_s": round(first_s, 2),
            "bytes": len(response.content),
        }
        if name == "json":
            (folder / "transcript.json").write_bytes(response.content)
        if name in ("html", "review"):
            found = re.search(r'name="page" min="1" max="(\d+)"', response.text)
            pages[name] = int(found.group(1)) if found else 1
            out[name]["pages"] = pages[name]
    # The middle and the last page of the paged ones (the last has the board).
    for name, path in (
        ("html", f"/sessions/{sid}/transcript.html"),
        ("review", f"/review/sessions/{sid}"),
    ):
        for which, page in (("middle", (pages[name] + 1) // 2), ("last", pages[name])):
            response, _first, total_s = timed_get(http, f"{url}{path}?page={page}")
            out[f"{name}_{which}"] = {
                "status": response.status_code,
                "page": page,
                "s": round(total_s, 2),
                "bytes": len(response.content),
            }
    out["rss_peak_mb"] = peak_rss_mb(pid)
    python = str(ROOT / ".venv" / "bin" / "python")
    step = subprocess.run(
        [python, "-c", VERIFY_STEP, str(sid), str(folder / "transcript.json")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out["verify_step"] = (
        json.loads(step.stdout.strip().splitlines()[-1])
        if step.returncode == 0
        else {"error": step.stderr[-500:]}
    )
    for name, args in (
        ("verify", [str(folder / "transcript.json")]),
        ("verify_session", ["--session", str(sid)]),
    ):
        began = time.perf_counter()
        verified = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "forum", "verify", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        out[name] = {
            "s": round(time.perf_counter() - began, 2),
            "result": (verified.stdout or verified.stderr).strip().splitlines()[-1:],
        }
    return out


def one_size(events: int, runs: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"paging-{events}-"))
    env = server_env(folder, FORUM_ACCESS_LOG="0")
    flask_cli(["db", "upgrade"], env)
    demo = json.loads(flask_cli(["forum", "seed-demo", "--json"], env).stdout)
    sid = next(s for s in demo["sessions"] if s["status"] == "live")["id"]
    began = time.perf_counter()
    build = [
        sys.executable,
        str(ROOT / "benchmarks" / "long_session.py"),
        "--session",
        str(sid),
        "--events",
        str(events),
    ]
    subprocess.run(
        build + (["--fast"] if events > 10_000 else []),
        env=env,
        check=True,
        capture_output=True,
        timeout=3600,
    )
    built = time.perf_counter() - began
    student = next(
        u for u in demo["users"] if u["role"] == "student" and u["school"] == "shizuoka-aoi"
    )
    reviewer = next(u for u in demo["users"] if u["role"] == "reviewer")
    server = start_server(env)
    try:
        result = {"events": events, "build_s": round(built, 1)}
        cookie = cookie_of(sign_in(server.url, student))
        result["join"] = measure_join(server.url, cookie, sid, runs)
        result["browser"] = measure_browser(
            server.url, student, sid, result["join"]["last_message"], runs
        )
        server.stop()
        subprocess.run(
            build + ["--close", "--events", "0"],
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        server = start_server(env)
        result["record"] = measure_record(server.url, reviewer, sid, env, server.pid, folder)
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()
    results = {"load_before": [round(x, 2) for x in load], "cpus": os.cpu_count(), "sizes": []}
    for size in (int(s) for s in args.sizes.split(",")):
        result = one_size(size, args.runs)
        results["sizes"].append(result)
        j, b, r = result["join"], result["browser"], result["record"]
        v = r["verify_step"]
        print(
            f"{size:>7} events: join {j['ack_ms']} ms {j['ack_bytes'] / 1024:.0f} KB "
            f"({j['events']} events) | latest shown {b['latest_shown_s']} s, "
            f"{b['dom_nodes']} nodes | html {r['html']['s']} s ({r['html']['pages']} pages; "
            f"middle {r['html_middle']['s']} s, last {r['html_last']['s']} s) "
            f"json {r['json']['s']} s csv {r['csv']['s']} s review {r['review']['s']} s "
            f"(last {r['review_last']['s']} s) | peak RSS {r['rss_peak_mb']} MB | "
            f"verify step: stored {v.get('stored_s')} s (CPU {v.get('stored_cpu_s')} s), file "
            f"{v.get('file_s')} s (CPU {v.get('file_cpu_s')} s) | "
            f"forum verify FILE {r['verify']['s']} s, --session "
            f"{r['verify_session']['s']} s {r['verify_session']['result']}",
            flush=True,
        )
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out = ROOT / "benchmarks" / "results" / "paging.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(
        f"load average before {results['load_before']}, after {results['load_after']} "
        f"on {results['cpus']} CPUs; wrote {out}"
    )


if __name__ == "__main__":
    main()

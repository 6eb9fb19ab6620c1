"""Load test of the HTTP service: requests per second and latency percentiles with N concurrent clients.

Run:  .venv/bin/python benchmarks/bench_service.py [--clients 1,4,16] [--requests 400] [--workers 1,2]
                                                   [--seconds 60] [--endpoint order-sign|pas|decide]

It starts `laro-kb serve` on a free port of 127.0.0.1 (and only there), waits for /health, then for each client
count sends --requests calls (the CDS Hooks order-sign call built from examples/fhir/ntrk-present-approve.json,
the PAS request examples/fhir/pas-claim.json, or that Bundle to /decide) from that many concurrent clients, each
with its own connection, and stops early after --seconds. It checks every answer (status 200 and the expected
decision) and prints requests/s and the p50, p95 and p99 latency. It asserts nothing; it prints a table.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FHIR = ROOT / "examples" / "fhir"


def order_sign_call() -> dict:
    resources = [e["resource"] for e in json.loads((FHIR / "ntrk-present-approve.json").read_text())["entry"]]
    drafts = [r for r in resources if r["resourceType"] == "MedicationRequest" and r["status"] == "draft"]
    rest = [r for r in resources if r not in drafts]
    return {"hook": "order-sign", "hookInstance": "bench",
            "context": {"userId": "PractitionerRole/dr-onc-role", "patientId": "pat-1",
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": r} for r in drafts]}},
            "prefetch": {"record": {"resourceType": "Bundle", "type": "searchset",
                                    "entry": [{"resource": r} for r in rest]}}}


ENDPOINTS = {
    "order-sign": ("/cds-services/laro-kb-order-sign", order_sign_call,
                   lambda r: r.json()["cards"][0]["indicator"] == "info"),
    "pas": ("/fhir/Claim/$submit", lambda: json.loads((FHIR / "pas-claim.json").read_text()),
            lambda r: '"A1"' in r.text),
    "decide": ("/decide", lambda: json.loads((FHIR / "ntrk-present-approve.json").read_text()),
               lambda r: r.json()["decision"] == "approve"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "laro_kb", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                # every worker loads its own kb: give them all time to answer before measuring
                for _ in range(4 * workers):
                    httpx.get(base + "/health", timeout=10)
                return proc, base
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("laro-kb serve did not start")
        time.sleep(0.2)


def run(base: str, path: str, body: bytes, check, clients: int, requests: int, seconds: float) -> dict:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    remaining = [requests]
    stop_at = time.monotonic() + seconds

    def client():
        with httpx.Client(base_url=base, timeout=30, headers={"content-type": "application/json"}) as c:
            while True:
                with lock:
                    if remaining[0] <= 0 or time.monotonic() > stop_at:
                        return
                    remaining[0] -= 1
                t = time.perf_counter()
                r = c.post(path, content=body)
                elapsed = time.perf_counter() - t
                ok = r.status_code == 200 and check(r)
                with lock:
                    latencies.append(elapsed)
                    failures[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in latencies)

    def pct(p):
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]
    return {"n": len(ms), "rps": len(ms) / wall, "p50": statistics.median(ms), "p95": pct(95), "p99": pct(99),
            "failures": failures[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--endpoint", choices=sorted(ENDPOINTS), default="order-sign")
    args = ap.parse_args()
    path, make, check = ENDPOINTS[args.endpoint]
    body = json.dumps(make()).encode()
    print(f"POST {path} ({len(body):,} bytes), {args.requests} requests per row, on 127.0.0.1")
    print(f"{'workers':>7} {'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'failed':>6}")
    for workers in [int(w) for w in args.workers.split(",")]:
        proc, base = start(workers)
        try:
            run(base, path, body, check, 2, 20, args.seconds)  # warm-up: imports, first decisions
            for clients in [int(c) for c in args.clients.split(",")]:
                r = run(base, path, body, check, clients, args.requests, args.seconds)
                print(f"{workers:>7} {clients:>7} {r['n']:>8} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
                      f"{r['p99']:>8.1f} {r['failures']:>6}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()

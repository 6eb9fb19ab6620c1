"""A real laro-kb service: `laro-kb serve` (uvicorn) on a free local port, started once per test session, and an
httpx client to it."""

from __future__ import annotations

import copy
import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

from ..conftest import EXAMPLES, ROOT

FHIR = EXAMPLES / "fhir"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """The base URL of a running service; its log is kept to show when it does not start."""
    port = free_port()
    log = open(ROOT / ".pytest_cache" / f"serve-{port}.log", "w") if (ROOT / ".pytest_cache").is_dir() \
        else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "laro_kb", "serve", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "laro-kb serve exited at startup"
            assert time.monotonic() < deadline, "laro-kb serve did not start in 60 s"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not subprocess.DEVNULL:
            log.close()


@pytest.fixture(scope="session")
def client(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def example(name: str) -> dict:
    return json.loads((FHIR / name).read_text())


def hook_call(bundle_name: str, hook: str = "order-sign") -> dict:
    """A CDS Hooks call built from an example Bundle: its draft orders in context.draftOrders, the rest prefetched."""
    resources = [e["resource"] for e in example(bundle_name)["entry"]]
    drafts = [r for r in resources if r["resourceType"] == "MedicationRequest" and r["status"] == "draft"]
    rest = [r for r in resources if r not in drafts]
    call = {"hook": hook, "hookInstance": f"test-{bundle_name}",
            "context": {"userId": "PractitionerRole/dr-onc-role", "patientId": "pat-1",
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": r} for r in drafts]}},
            "prefetch": {"record": {"resourceType": "Bundle", "type": "searchset",
                                    "entry": [{"resource": r} for r in rest]}}}
    if hook == "order-select":
        call["context"]["selections"] = [f"MedicationRequest/{r['id']}" for r in drafts]
    return call


def pas_bundle(bundle_name: str) -> dict:
    """The example PAS request with the clinical resources of another example Bundle."""
    pas = example("pas-claim.json")
    claim = copy.deepcopy(pas["entry"][0])
    others = [e for e in example(bundle_name)["entry"]]
    for e in others:
        if e["resource"]["resourceType"] == "MedicationRequest":
            e["resource"]["status"] = "active"  # the signed order the Claim asks for
    payer = [e for e in pas["entry"] if e["resource"]["resourceType"] == "Organization"]
    return {**pas, "entry": [claim] + others + payer}

"""laro_kb.service through a real HTTP client against `laro-kb serve`: CDS Hooks (Da Vinci CRD), PAS Claim/$submit,
/decide, and what a bad request gets. Whole responses are compared with tests/golden/ (dates and the server's
address normalised)."""

from __future__ import annotations

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from laro_kb.render.decision import decision_dict

from ..conftest import EXAMPLES
from .conftest import example, hook_call, pas_bundle

CRD = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
REVIEW = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
OUTCOMES = {"ntrk-present-approve.json": "approve", "ntrk-absent-deny.json": "deny",
            "ntrk-missing-pend.json": "pend", "renewal.json": "approve"}


def normalised(data, server) -> str:
    text = json.dumps(data, indent=2, sort_keys=True).replace(server, "http://SERVER")
    today = datetime.now(timezone.utc).date().isoformat()
    text = re.sub(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"', '"NOW"', text)
    return text.replace(f'"{today}"', '"TODAY"') + "\n"


def coverage_info(response) -> dict:
    """The coverage-information extension of the one system action, as {sub-extension url: [values]}."""
    (action,) = response["systemActions"]
    (ext,) = [e for e in action["resource"]["extension"] if e["url"] == CRD]
    out: dict = {}
    for e in ext["extension"]:
        value = next(v for k, v in e.items() if k.startswith("value")) if e["url"] != "detail" else \
            {x["url"]: next(v for k, v in x.items() if k.startswith("value")) for x in e["extension"]}
        out.setdefault(e["url"], []).append(value)
    return out


def assert_cds_conformant(response: dict, hook: str) -> None:
    """The CDS Hooks response rules conformance suites check."""
    assert isinstance(response["cards"], list)
    if hook == "order-sign":
        assert isinstance(response["systemActions"], list)
    for card in response["cards"]:
        assert card["summary"] and len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
    for action in response.get("systemActions", []):
        assert action["type"] and action["resource"]


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "engine": "sql", "pathways": 134}


def test_discovery_lists_order_sign_and_order_select_with_their_prefetch(client):
    services = client.get("/cds-services").json()["services"]
    assert sorted(s["hook"] for s in services) == ["order-select", "order-sign"]
    for s in services:
        assert s["id"] and s["description"] and s["hook"]
        assert {"patient", "conditions", "observations", "medications"} <= set(s["prefetch"])


@pytest.mark.parametrize("name", sorted(OUTCOMES))
@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_a_larotrectinib_order_gets_coverage_information_and_a_card(client, name, hook):
    r = client.post(f"/cds-services/laro-kb-{hook}", json=hook_call(name, hook))
    assert r.status_code == 200, r.text
    response = r.json()
    assert_cds_conformant(response, hook)
    info = coverage_info(response)
    outcome = OUTCOMES[name]
    assert info["covered"] == [{"approve": "covered", "deny": "not-covered", "pend": "conditional"}[outcome]]
    assert info["coverage-assertion-id"][0].startswith("laro-")
    assert all(d["code"]["coding"][0]["code"] == "policy-link" for d in info["detail"]
               if d["code"]["coding"][0]["code"] != "instructions")
    (card,) = response["cards"]
    assert card["indicator"] == {"approve": "info", "pend": "warning", "deny": "critical"}[outcome]
    if outcome == "approve":
        assert info["pa-needed"] == ["satisfied"] and info["satisfied-pa-id"] == info["coverage-assertion-id"]
    elif outcome == "deny":
        assert "pa-needed" not in info  # crd-ci-q2: not covered, so no prior authorization to speak of
        assert "NTRK gene fusion positive" in card["detail"]
    else:
        assert info["pa-needed"] == ["auth-needed"] and info["doc-needed"] == ["clinical"]
        assert info["info-needed"] == ["OTH"] and info["reason"][0]["text"]
        assert "Document: NTRK1/2/3 gene fusion test result (biomarker.ntrk_fusion)" in \
            [d["value"] for d in info["detail"]]


def test_the_whole_pend_response(client, server, golden):
    r = client.post("/cds-services/laro-kb-order-sign", json=json.loads((EXAMPLES / "fhir/order-sign.json").read_text()))
    golden("service-order-sign-pend.json", normalised(r.json(), server))


def test_a_policy_link_answers_with_the_pathway(client):
    response = client.post("/cds-services/laro-kb-order-sign", json=hook_call("ntrk-present-approve.json")).json()
    links = [d["value"] for d in coverage_info(response)["detail"]]
    pathway = client.get(links[0]).json()
    assert (pathway["id"], pathway["criterion"]) == ("gist.4", "4") and "GIST" in pathway["text"]


@pytest.mark.parametrize("order", [
    {"resourceType": "NutritionOrder", "id": "diet", "status": "draft", "intent": "order",
     "patient": {"reference": "Patient/pat-1"}, "dateTime": "2026-12-01",
     "oralDiet": {"type": [{"text": "Low sodium diet"}]}},
    {"resourceType": "MedicationRequest", "id": "abx", "status": "draft", "intent": "order",
     "subject": {"reference": "Patient/pat-1"}, "medicationCodeableConcept": {
         "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "723", "display": "amoxicillin"}]}},
])
def test_an_order_for_anything_else_gets_no_cards_and_no_actions(client, order):
    call = hook_call("ntrk-present-approve.json")
    call["context"]["draftOrders"]["entry"] = [{"resource": order}]
    r = client.post("/cds-services/laro-kb-order-sign", json=call)
    assert r.status_code == 200 and r.json() == {"cards": [], "systemActions": []}


def test_order_select_answers_for_the_selected_orders_only(client):
    call = hook_call("ntrk-present-approve.json", "order-select")
    call["context"]["selections"] = ["MedicationRequest/something-else"]
    assert client.post("/cds-services/laro-kb-order-select", json=call).json() == {"cards": [], "systemActions": []}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_a_pas_request_gets_a_claim_response_with_the_x12_review_action(client, name):
    r = client.post("/fhir/Claim/$submit", json=pas_bundle(name))
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    response = bundle["entry"][0]["resource"]
    assert response["resourceType"] == "ClaimResponse" and response["use"] == "preauthorization"
    assert response["request"] == {"reference": "Claim/pa-1"} and response["outcome"] == "complete"
    (item,) = response["item"]
    (action,) = [e for e in item["adjudication"][0]["extension"] if e["url"] == REVIEW]
    code = action["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert (code["system"], code["code"]) == ("https://codesystem.x12.org/005010/306",
                                              {"approve": "A1", "deny": "A3", "pend": "A4"}[OUTCOMES[name]])
    assert response["processNote"] and all(n["text"] for n in response["processNote"])


def test_the_whole_pas_response(client, server, golden):
    r = client.post("/fhir/Claim/$submit", json=example("pas-claim.json"))
    golden("service-pas-approve.json", normalised(r.json(), server))


def test_a_pas_request_for_another_service_is_told_the_policy_does_not_apply(client):
    bundle = example("pas-claim.json")
    claim = bundle["entry"][0]["resource"]
    claim["item"][0] = {"sequence": 1, "productOrService": {"coding": [
        {"system": "http://www.ama-assn.org/go/cpt", "code": "97110"}], "text": "Physical therapy"}}
    claim.pop("prescription", None)
    r = client.post("/fhir/Claim/$submit", json=bundle)
    assert r.status_code == 200
    response = r.json()["entry"][0]["resource"]
    assert "does not apply" in response["disposition"]
    assert "extension" not in response["item"][0]["adjudication"][0]


def test_decide_takes_a_case_or_a_bundle_and_answers_the_decision_json(client, kb):
    case = json.loads((EXAMPLES / "nsclc-first-line.json").read_text())
    assert client.post("/decide", json=case).json() == decision_dict(kb.decide(kb.parse_case(case)))
    r = client.post("/decide", json=example("ntrk-missing-pend.json")).json()
    assert r["decision"] == "pend" and r["needs"]["gist.4"] == ["biomarker.ntrk_fusion"]


BAD = {
    "not JSON": ("/decide", b"{", 400, "not valid JSON"),
    "no body": ("/decide", b"", 400, "no body"),
    "a key given twice": ("/decide", b'{"id": "a", "id": "b"}', 400, "twice"),
    "a malformed resource": ("/decide", json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "yesterday"}}]}).encode(), 400,
        "record Patient/p: field 'birthDate'"),
    "a bad case field": ("/decide", b'{"patient": {"age": 400}}', 400, "patient.age"),
    "the wrong hook": ("/cds-services/laro-kb-order-sign", json.dumps({**hook_call("renewal.json"),
                                                                       "hook": "patient-view"}).encode(), 400, "hook"),
    "no draft orders": ("/cds-services/laro-kb-order-sign", b'{"hook": "order-sign", "hookInstance": "x", '
                                                             b'"context": {}}', 400, "draftOrders"),
    "a Claim that is no prior authorization": ("/fhir/Claim/$submit", json.dumps(
        {**example("pas-claim.json"), "entry": [{"resource": {**example("pas-claim.json")["entry"][0]["resource"],
                                                              "use": "claim"}}]}).encode(), 400, "preauthorization"),
    "a PAS request that is not a Bundle": ("/fhir/Claim/$submit", b'{"resourceType": "Claim"}', 400, "Bundle"),
    "an unknown service": ("/cds-services/nope", b"{}", 404, "no CDS service"),
}


@pytest.mark.parametrize("what", BAD)
def test_a_bad_request_gets_an_operation_outcome_naming_the_problem(client, what):
    path, body, status, words = BAD[what]
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status
    outcome = r.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert words in outcome["issue"][0]["diagnostics"]
    assert "Traceback" not in r.text


def test_a_body_over_the_limit_is_refused_unread(client):
    r = client.post("/decide", content=b" " * ((1 << 20) + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["issue"][0]["code"] == "too-costly"


def test_an_unknown_path_or_method_is_an_operation_outcome(client):
    assert client.get("/nope").json()["resourceType"] == "OperationOutcome"
    r = client.get("/decide")
    assert r.status_code == 405 and r.json()["resourceType"] == "OperationOutcome"


def test_concurrent_calls_get_the_answers_of_calls_one_at_a_time(client):
    calls = [(name, hook_call(name)) for name in sorted(OUTCOMES)] * 6
    sequential = [client.post("/cds-services/laro-kb-order-sign", json=c).json() for _, c in calls[:4]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda c: client.post("/cds-services/laro-kb-order-sign", json=c[1]).json(), calls))
    assert parallel == sequential * 6
    assert client.get("/health").status_code == 200


def test_a_hostile_request_does_not_stop_the_server(client):
    deep = b"[" * 100_000 + b"]" * 100_000
    r = client.post("/decide", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "Traceback" not in r.text
    weird = copy.deepcopy(hook_call("renewal.json"))
    weird["prefetch"] = {"record": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": 5}]}}
    assert client.post("/cds-services/laro-kb-order-sign", json=weird).status_code == 400
    assert client.get("/health").status_code == 200


def test_requests_with_junk_in_any_element_get_a_200_or_a_400_never_a_server_error(client):
    """Seeded mutations of the example requests: any element replaced by a value of another kind."""
    import random
    rng = random.Random(17)
    bases = {"/cds-services/laro-kb-order-sign": json.loads((EXAMPLES / "fhir/order-sign.json").read_text()),
             "/fhir/Claim/$submit": example("pas-claim.json"), "/decide": example("ntrk-present-approve.json")}
    junk = [None, 5, -1, 1e308, "x", "", [], {}, [1], {"a": 1}, True, "LA9633-4", "draft", "Patient/pat-1"]

    def paths(o, p=()):
        if p:
            yield p
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
        for k, v in items:
            yield from paths(v, p + (k,))

    statuses = set()
    for _ in range(120):
        url = rng.choice(sorted(bases))
        data = copy.deepcopy(bases[url])
        for p in rng.sample(list(paths(data)), 2):
            node = data
            try:
                for k in p[:-1]:
                    node = node[k]
                node[p[-1]] = rng.choice(junk)
            except (KeyError, IndexError, TypeError):
                pass  # an earlier change removed this element
        r = client.post(url, json=data)
        statuses.add(r.status_code)
        assert r.status_code in (200, 400), r.text
        assert "Traceback" not in r.text
    assert statuses == {200, 400}


def test_serve_refuses_a_kb_directory_that_holds_no_kb_before_starting(tmp_path):
    from click.testing import CliRunner

    from laro_kb.cli import main
    result = CliRunner().invoke(main, ["serve", "--kb", str(tmp_path), "--port", "0"])
    assert result.exit_code == 2
    assert result.output == f"laro-kb: error: {tmp_path}: holds no .dl files\n"

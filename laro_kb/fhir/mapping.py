"""FHIR resources -> a case: the mapping of docs/fhir.md, then the case parser's validation.

Each fact is read from the element docs/fhir.md names, and remembered with its source (``Observation/ecog-1
valueInteger``), so that a value the case parser refuses is reported at the resource and element it came from. The
kb's tables are read through the vocabulary, never copied here: ICD-10 -> section (kb/codes.dl), drug -> therapy
class (kb/drugs.dl), NUCC specialty -> prescriber (kb/specialties.dl). What here is a constant is a FHIR or LOINC
code that names *where* a fact is written, not a criterion.

Unknown is never false: a fact the bundle does not state stays absent from the case, and an ambiguous one (two
cancers and no order saying which it treats, an NTRK test of one gene only) stays unknown too, with a note saying
why.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable, Optional

from ..case.model import Case, set_field
from ..case.parse import parse_case
from ..errors import CaseError, CaseErrors
from ..knowledge.vocabulary import Vocabulary, show_value
from .resources import Resource, Resources, read_resources

LOINC = "http://loinc.org"
ICD10_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HGNC = "http://www.genenames.org/geneId"
NUCC = "http://nucc.org/provider-taxonomy"
SEQUENCE_ONTOLOGY_FUSION = "SO:0001565"  # gene_fusion
GENETIC_VARIANT = "69548-6"  # Genetic variant assessment
GENE_STUDIED = "48018-6"  # Gene studied [ID]
PRESENT, ABSENT = "LA9633-4", "LA9634-2"
ECOG, KARNOFSKY = "89247-1", "89243-0"
NTRK_GENES = {"HGNC:8031": "NTRK1", "HGNC:8032": "NTRK2", "HGNC:8033": "NTRK3"}
POLICY_DRUG = "larotrectinib"  # the therapy term (kb/vocabulary.dl) of the drug this policy covers
# the laro-kb questionnaire: a QuestionnaireResponse to it answers case fields by name (linkId = field)
QUESTIONNAIRE = "urn:laro-kb:questionnaire:larotrectinib"

GIVEN = ("active", "completed", "stopped", "on-hold")  # MedicationStatement / MedicationRequest: it was given
NOT_A_RESULT = ("entered-in-error", "cancelled", "registered", "unknown")  # Observation.status read as no result
NOT_A_DIAGNOSIS = ("refuted", "entered-in-error")  # Condition.verificationStatus
ANSWERED = ("completed", "amended", "in-progress")  # QuestionnaireResponse.status

STAGE = re.compile(r"(?<![A-Z])(?:STAGE\s*)?(IV|III|II|I)([A-C])?(?![A-Z])")
M_CATEGORY = re.compile(r"(?<![A-Z])[CPY]?M([01])[A-D]?(?![A-Z0-9])")
NTRK_TEXT = re.compile(r"NTRK\s*([123](?:\s*/\s*[123])*)?", re.IGNORECASE)
NEGATIVE_TEXT = re.compile(r"\b(not\s+detected|not\s+present|absent|negative|"
                           r"no\b[^.;]{0,60}\b(fusions?|variants?|alterations?|rearrangements?))\b", re.IGNORECASE)
POSITIVE_TEXT = re.compile(r"\b(detected|present|positive)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Extract:
    """What a bundle says, as a case: the nested case mapping, where each field came from, the larotrectinib order
    asked about (if any), the date the age is counted on, and notes on what was read but not used."""

    data: dict
    sources: dict  # case field -> (resource, element)
    request: Optional[Resource]
    request_date: date
    notes: tuple[str, ...] = ()


def case_from_fhir(data: Any, vocabulary: Vocabulary, *, file: Optional[str] = None, record: Optional[str] = None,
                   today: Optional[date] = None) -> Case:
    """The validated case a FHIR Bundle (or prefetch) states; CaseError naming the resource and element if not."""
    resources = read_resources(data, file=file)
    ex = extract(resources, vocabulary, today=today, case_id=_case_id(data, resources, record), file=file)
    return validated(ex, vocabulary, file=file)


def validated(ex: Extract, vocabulary: Vocabulary, *, file: Optional[str] = None) -> Case:
    """The case parser's validation of an extract; a refusal names the resource and element the value came from."""
    try:
        return parse_case(ex.data, vocabulary, file=file, record=ex.data.get("id"))
    except CaseErrors as exc:
        raise CaseErrors([_at_source(e, ex, file) for e in exc.errors]) from None
    except CaseError as exc:
        raise _at_source(exc, ex, file) from None


def _at_source(exc: CaseError, ex: Extract, file: Optional[str]) -> CaseError:
    """A case parser's error moved to the resource and element its value came from."""
    source = ex.sources.get(exc.field) if exc.field else None
    if source is None:
        return exc
    resource, element = source
    return CaseError(f"{exc.message} (read as the case's {exc.field})", file=file, record=resource, field=element,
                     suggestion=exc.suggestion)


def _case_id(data: Any, resources: Resources, record: Optional[str]) -> str:
    if record:
        return record
    if isinstance(data, Mapping) and isinstance(data.get("id"), str):
        return data["id"]
    patients = resources.of("Patient")
    return patients[0].ref if patients and patients[0].id else "fhir"


def extract(resources: Resources, vocabulary: Vocabulary, *, request: Optional[Resource] = None,
            request_date: Optional[date] = None, today: Optional[date] = None, case_id: str = "fhir",
            file: Optional[str] = None) -> Extract:
    """The case that ``resources`` state. ``request`` is the larotrectinib order asked about (a CDS Hooks draft
    order, the MedicationRequest of a PAS Claim); without one, the bundle's draft larotrectinib MedicationRequest is
    the request, if it holds one."""
    b = _Builder(vocabulary, file)
    if request is None:
        drafts = [r for r in resources.of("MedicationRequest")
                  if r.get("status") == "draft" and POLICY_DRUG in therapy_classes(r, resources, vocabulary)]
        request = drafts[0] if drafts else None
        if len(drafts) > 1:
            b.note(f"{len(drafts)} draft larotrectinib orders; {drafts[0].ref} is taken as the request")
    when = request_date or (_date(request.get("authoredOn")) if request is not None else None) \
        or today or datetime.now(timezone.utc).date()
    _patient(b, resources, when)
    _request_and_history(b, resources, vocabulary, request)
    _diagnosis(b, resources, vocabulary, request)
    _ntrk(b, resources)
    _performance(b, resources)
    _prescriber(b, resources, vocabulary, request)
    _questionnaires(b, resources, vocabulary)
    data: dict = {"id": case_id}
    for name, value in b.values.items():
        set_field(data, name, value)
    return Extract(data, dict(b.sources), request, when, tuple(b.notes))


class _Builder:
    def __init__(self, vocabulary: Vocabulary, file):
        self.vocabulary = vocabulary
        self.file = file
        self.values: dict[str, Any] = {}
        self.sources: dict[str, tuple[str, str]] = {}
        self.notes: list[str] = []

    def put(self, name: str, value: Any, resource: Resource, element: str) -> None:
        if name in self.values and self.values[name] != value:
            first = " ".join(self.sources[name])
            raise CaseError(f"states {show_value(value)}, but {first} states {show_value(self.values[name])} "
                            f"for the same fact ({name}); the bundle must say one", file=self.file,
                            record=resource.ref, field=element)
        self.values[name] = value
        self.sources.setdefault(name, (resource.ref, element))

    def note(self, text: str) -> None:
        self.notes.append(text)


# ---- patient and request ------------------------------------------------------------------------------------

def _patient(b: _Builder, resources: Resources, when: date) -> None:
    patients = resources.of("Patient")
    ids = {p.ref for p in patients}
    if len(ids) > 1:
        raise CaseError(f"holds {len(ids)} patients ({', '.join(sorted(ids))}); a case is one patient", file=b.file,
                        record=patients[1].ref)
    if not patients or not isinstance(patients[0].get("birthDate"), str):
        return
    p = patients[0]
    age = age_on(p.get("birthDate"), when)
    if age is None:
        b.note(f"{p.ref} birthDate {p.get('birthDate')} does not fix the age on {when.isoformat()}")
        return
    b.put("patient.age", age, p, "birthDate")


def age_on(birth: str, on: date) -> Optional[int]:
    """Whole years on ``on`` for a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD); None when a partial date leaves two
    possible ages."""
    parts = [int(x) for x in birth.split("-")]
    year = parts[0]
    first = date(year, parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    last_month = parts[1] if len(parts) > 1 else 12
    last = date(year, last_month, parts[2] if len(parts) > 2 else calendar.monthrange(year, last_month)[1])
    ages = {on.year - d.year - ((on.month, on.day) < (d.month, d.day)) for d in (first, last)}
    return ages.pop() if len(ages) == 1 else None


def _date(value: Any) -> Optional[date]:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _request_and_history(b: _Builder, resources: Resources, vocabulary: Vocabulary,
                         request: Optional[Resource]) -> None:
    """The request (initial, or renewal when larotrectinib was given before) and the prior therapies."""
    given: list[tuple[Resource, list]] = []
    for r in resources.of("MedicationStatement", "MedicationRequest"):
        if request is not None and r.ref == request.ref:
            continue
        if r.get("status") not in GIVEN:
            continue
        therapies = medication_therapies(r, resources, vocabulary)
        if not therapies:
            b.note(f"{r.ref}: {medication_text(r, resources) or 'a medication'} is not in the drug table "
                   "(kb/drugs.dl); not read as an anticancer therapy")
        given.append((r, therapies))
    if request is not None:
        before = [r for r, ts in given if any(POLICY_DRUG in t.classes for t in ts)]
        if before:
            b.put("request", "renewal", before[0], "status")
        else:
            b.put("request", "initial", request, "status")
    if given:
        names = sorted({t.name for _, ts in given for t in ts})
        b.put("history.prior_therapies", names, given[0][0], "medication[x]")


def medication_therapies(r: Resource, resources: Resources, vocabulary: Vocabulary) -> list:
    """The drug-table entries (Therapy values) a MedicationRequest or MedicationStatement names, by RxNorm code or
    by name."""
    found = {}
    for concept in _medication_concepts(r, resources):
        for coding in concept.get("coding") or ():
            if coding.get("system") == RXNORM and isinstance(coding.get("code"), str):
                t = vocabulary.therapy_by_rxcui(coding["code"])
                if t is not None:
                    found[t.name] = t
        texts = [c.get("display") for c in concept.get("coding") or ()] + [concept.get("text")]
        for text in texts:
            if not isinstance(text, str):
                continue
            for t in _therapies_named(text, vocabulary):
                found[t.name] = t
    return list(found.values())


def therapy_classes(r: Resource, resources: Resources, vocabulary: Vocabulary) -> set:
    return {c for t in medication_therapies(r, resources, vocabulary) for c in t.classes}


def _therapies_named(text: str, vocabulary: Vocabulary) -> list:
    """The whole name ('carboplatin/paclitaxel', 'Vitrakvi'), or else the drug names among its words
    ('larotrectinib 100 MG Oral Capsule [Vitrakvi]')."""
    whole = vocabulary.therapy(text[:200])
    if whole is not None:
        return [whole]
    return [t for word in re.findall(r"[A-Za-z][A-Za-z-]{2,}", text[:500])
            for t in [vocabulary.therapy(word)] if t is not None]


def _medication_concepts(r: Resource, resources: Resources) -> list[Mapping]:
    concept = r.get("medicationCodeableConcept")
    if isinstance(concept, Mapping):
        return [concept]
    med = resources.resolve(r.get("medicationReference"), within=r)
    if med is not None and isinstance(med.get("code"), Mapping):
        return [med.get("code")]
    ref = r.get("medicationReference")
    if isinstance(ref, Mapping) and isinstance(ref.get("display"), str):
        return [{"text": ref["display"]}]
    return []


def medication_text(r: Resource, resources: Resources) -> str:
    for concept in _medication_concepts(r, resources):
        if isinstance(concept.get("text"), str):
            return concept["text"]
        for coding in concept.get("coding") or ():
            if isinstance(coding.get("display"), str):
                return coding["display"]
            if isinstance(coding.get("code"), str):
                return f"{coding.get('system', '')}|{coding['code']}"
    return ""


# ---- diagnosis ----------------------------------------------------------------------------------------------

def _icd10(concept: Any) -> list[str]:
    out = []
    for coding in (concept or {}).get("coding") or ():
        code = coding.get("code")
        if coding.get("system") in ICD10_SYSTEMS and isinstance(code, str) and code.strip():
            code = code.strip().upper()
            if "." not in code and len(code) > 3:
                code = code[:3] + "." + code[3:]
            out.append(code)
    return out


def _is_neoplasm(code: str) -> bool:
    """ICD-10 chapter II, neoplasms: C00-D49."""
    return code[:1] == "C" or (code[:1] == "D" and code[1:2] in "01234")


def _diagnosis(b: _Builder, resources: Resources, vocabulary: Vocabulary, request: Optional[Resource]) -> None:
    cancers: list[tuple[Resource, str]] = []
    for c in resources.of("Condition"):
        status = [x.get("code") for x in ((c.get("verificationStatus") or {}).get("coding") or ())]
        if any(s in NOT_A_DIAGNOSIS for s in status):
            continue
        codes = [code for code in _icd10(c.get("code")) if _is_neoplasm(code)]
        if codes:
            cancers.append((c, codes[0]))
    if not cancers:
        return
    chosen = None
    if request is not None:  # the order's reason (MedicationRequest.reason*), or a PAS Claim's diagnosis
        diagnoses = [d for d in request.get("diagnosis") or () if isinstance(d, Mapping)]
        refs = list(request.get("reasonReference") or ()) + [d.get("diagnosisReference") for d in diagnoses]
        reasons = [resources.resolve(ref, within=request) for ref in refs]
        picked = [(c, code) for c, code in cancers if any(r is not None and r.ref == c.ref for r in reasons)]
        concepts = list(request.get("reasonCode") or ()) + [d.get("diagnosisCodeableConcept") for d in diagnoses]
        reason_codes = {code for concept in concepts for code in _icd10(concept)}
        picked = picked or [(c, code) for c, code in cancers if code in reason_codes]
        if len({code for _, code in picked}) == 1:
            chosen = picked[0]
    if chosen is None and len({code for _, code in cancers}) == 1:
        chosen = cancers[0]
    if chosen is None:
        b.note("the bundle holds cancers of several codes (" + ", ".join(sorted({c for _, c in cancers})) +
               ") and the order names none of them as its reason; the diagnosis is not documented")
        return
    condition, code = chosen
    b.put("diagnosis.icd10", code, condition, "code")
    entry = vocabulary.code(code)
    if entry is None:
        b.note(f"{condition.ref}: ICD-10 {code} is not in the policy's code table (kb/codes.dl); the section is "
               "not documented")
    elif len(entry.sections) == 1:
        b.put("diagnosis.section", entry.sections[0], condition, "code")
        if len(entry.subsections) == 1:
            b.put("diagnosis.subsection", entry.subsections[0], condition, "code")
    elif entry.sections:
        b.note(f"{condition.ref}: ICD-10 {code} belongs to sections {', '.join(entry.sections)} in the code table; "
               "the section is not documented")
    _stage(b, resources, vocabulary, condition)


def _stage(b: _Builder, resources: Resources, vocabulary: Vocabulary, condition: Resource) -> None:
    stage_terms = set(vocabulary.fields["diagnosis.stage"].term_names()) if "diagnosis.stage" in vocabulary.fields \
        else set()
    found: dict[str, tuple] = {}
    for i, stage in enumerate(condition.get("stage") or ()):
        texts = [(f"stage[{i}].summary", t) for t in _concept_texts(stage.get("summary"))]
        for j, ref in enumerate(stage.get("assessment") or ()):
            obs = resources.resolve(ref, within=condition)
            if obs is not None and obs.type == "Observation":
                texts += [(f"stage[{i}].assessment[{j}]", t) for t in _concept_texts(obs.get("valueCodeableConcept"))]
                if isinstance(obs.get("valueString"), str):
                    texts.append((f"stage[{i}].assessment[{j}]", obs.get("valueString")))
        for element, text in texts:
            upper = text.upper()
            m = M_CATEGORY.search(upper)
            if m:
                _first(b, found, "disease.metastatic", m.group(1) == "1", condition, element)
            g = STAGE.search(upper) if ("STAGE" in upper or STAGE.fullmatch(upper.strip())) else None
            if g:
                term = g.group(1) + (g.group(2) or "")
                term = term if term in stage_terms else g.group(1)
                if term in stage_terms:
                    _first(b, found, "diagnosis.stage", term, condition, element)
    # the first staging that states each (a clinical and a later pathological stage may differ: the first listed
    # is taken, as the Condition orders them)
    for name, (value, element) in found.items():
        b.put(name, value, condition, element)


def _first(b: _Builder, found: dict, name: str, value: Any, condition: Resource, element: str) -> None:
    if name not in found:
        found[name] = (value, element)
    elif found[name][0] != value:
        b.note(f"{condition.ref} {element} states {name} {show_value(value)}; the first staging's "
               f"{show_value(found[name][0])} ({found[name][1]}) is read")


def _concept_texts(concept: Any) -> list[str]:
    if not isinstance(concept, Mapping):
        return []
    out = [concept.get("text")] + [c.get("display") for c in concept.get("coding") or ()] + \
          [c.get("code") for c in concept.get("coding") or ()]
    return [t for t in out if isinstance(t, str) and t.strip()]


# ---- observations -------------------------------------------------------------------------------------------

def _codes(concept: Any, system: str = LOINC) -> set:
    return {c.get("code") for c in (concept or {}).get("coding") or () if c.get("system") == system}


def _results(resources: Resources, loinc: str) -> list[Resource]:
    """The Observations of a LOINC code that are results, latest first."""
    out = [o for o in resources.of("Observation")
           if o.get("status") not in NOT_A_RESULT and loinc in _codes(o.get("code"))]
    return sorted(out, key=_effective, reverse=True)


def _effective(o: Resource) -> str:
    period = o.get("effectivePeriod") or {}
    return str(o.get("effectiveDateTime") or period.get("start") or o.get("effectiveInstant") or o.get("issued") or "")


def _ntrk(b: _Builder, resources: Resources) -> None:
    """biomarker.ntrk_fusion: positive when a test finds an NTRK1/2/3 fusion; negative only when NTRK1, NTRK2 and
    NTRK3 were all tested and no fusion found (a negative NTRK1 test says nothing of NTRK3)."""
    negatives: dict[str, Resource] = {}
    positive = None
    for o in resources.of("Observation"):
        if o.get("status") in NOT_A_RESULT:
            continue
        texts = _observation_texts(o)
        variant = GENETIC_VARIANT in _codes(o.get("code"))
        mentions_ntrk = any(NTRK_TEXT.search(t) for t in texts)
        if not variant and not (mentions_ntrk and any("fusion" in t.lower() for t in texts)):
            continue
        genes = _ntrk_genes(o, texts)
        fusion = any("fusion" in t.lower() for t in texts) or \
            SEQUENCE_ONTOLOGY_FUSION in _component_codes(o, system=None)
        if not genes or not fusion:
            continue
        result, element = _presence(o)
        if result == "positive" and positive is None:
            positive = (o, element)
        elif result == "negative":
            for g in genes:
                negatives.setdefault(g, o)
        elif result is None:
            b.note(f"{o.ref}: an NTRK fusion test whose result is neither present nor absent")
    if positive is not None:
        b.put("biomarker.ntrk_fusion", "positive", positive[0], positive[1])
        if negatives:
            b.note(f"{positive[0].ref} finds an NTRK fusion; other tests found none in "
                   f"{', '.join(sorted(negatives))}")
    elif negatives and set(negatives) >= set(NTRK_GENES.values()):
        first = sorted(negatives.values(), key=lambda r: r.ref)[0]
        b.put("biomarker.ntrk_fusion", "negative", first, "value[x]")
    elif negatives:
        b.note(f"no NTRK fusion in {', '.join(sorted(negatives))}, but "
               f"{', '.join(sorted(set(NTRK_GENES.values()) - set(negatives)))} not tested: the NTRK fusion result "
               "is not documented")


def _observation_texts(o: Resource) -> list[str]:
    texts = _concept_texts(o.get("code")) + _concept_texts(o.get("valueCodeableConcept"))
    if isinstance(o.get("valueString"), str):
        texts.append(o.get("valueString"))
    for comp in o.get("component") or ():
        texts += _concept_texts(comp.get("code")) + _concept_texts(comp.get("valueCodeableConcept"))
        if isinstance(comp.get("valueString"), str):
            texts.append(comp.get("valueString"))
    return texts


def _component_codes(o: Resource, system: Optional[str] = LOINC) -> set:
    out = set()
    for comp in o.get("component") or ():
        for concept in (comp.get("code"), comp.get("valueCodeableConcept")):
            out |= {c.get("code") for c in (concept or {}).get("coding") or ()
                    if system is None or c.get("system") == system}
    return out


def _ntrk_genes(o: Resource, texts: list[str]) -> set:
    genes = set()
    for comp in o.get("component") or ():
        if GENE_STUDIED in _codes(comp.get("code")):
            for c in (comp.get("valueCodeableConcept") or {}).get("coding") or ():
                if c.get("system") == HGNC and c.get("code") in NTRK_GENES:
                    genes.add(NTRK_GENES[c["code"]])
    for t in texts:
        for m in NTRK_TEXT.finditer(t):
            numbers = re.findall(r"[123]", m.group(1) or "123")  # 'NTRK' alone, or 'NTRK1/2/3': every NTRK gene
            genes |= {f"NTRK{n}" for n in numbers}
    return genes


def _presence(o: Resource) -> tuple[Optional[str], str]:
    """positive (LA9633-4 Present), negative (LA9634-2 Absent), or the text forms of either; None otherwise."""
    concept = o.get("valueCodeableConcept")
    codes = _codes(concept)
    if PRESENT in codes:
        return "positive", "valueCodeableConcept"
    if ABSENT in codes:
        return "negative", "valueCodeableConcept"
    for element, texts in (("valueCodeableConcept", _concept_texts(concept)),
                           ("valueString", [o.get("valueString")] if isinstance(o.get("valueString"), str) else [])):
        for t in texts:
            if NEGATIVE_TEXT.search(t):
                return "negative", element
            if POSITIVE_TEXT.search(t):
                return "positive", element
    return None, "value[x]"


def _performance(b: _Builder, resources: Resources) -> None:
    for loinc, name in ((ECOG, "performance.ecog"), (KARNOFSKY, "performance.karnofsky")):
        for o in _results(resources, loinc):
            value, element = _number(o)
            if value is None:
                b.note(f"{o.ref}: a performance status with no number")
                continue
            b.put(name, value, o, element)
            break


def _number(o: Resource) -> tuple[Any, str]:
    if "valueInteger" in o.data:
        return o.get("valueInteger"), "valueInteger"
    quantity = o.get("valueQuantity")
    if isinstance(quantity, Mapping) and quantity.get("value") is not None:
        v = quantity["value"]
        return (int(v) if float(v).is_integer() else v), "valueQuantity.value"
    for element, texts in (("valueCodeableConcept", _concept_texts(o.get("valueCodeableConcept"))),
                           ("valueString", [o.get("valueString")] if isinstance(o.get("valueString"), str) else [])):
        for t in texts:
            m = re.match(r"\s*(\d{1,3})\b", t)
            if m:
                return int(m.group(1)), element
    return None, "value[x]"


# ---- prescriber ---------------------------------------------------------------------------------------------

def _prescriber(b: _Builder, resources: Resources, vocabulary: Vocabulary, request: Optional[Resource]) -> None:
    """The requester's specialty (PractitionerRole.specialty or .code, Practitioner.qualification.code) through
    kb/specialties.dl; with no requester named, the bundle's one practitioner."""
    people: list[Resource] = []
    named = (request.get("requester") or request.get("provider")) if request is not None else None  # order, Claim
    requester = resources.resolve(named, within=request) if named is not None else None
    if requester is not None:
        people.append(requester)
    elif named is None:
        practitioners = {r.ref for r in resources.of("Practitioner")}
        practitioners |= {ref.ref for r in resources.of("PractitionerRole")
                          for ref in [resources.resolve(r.get("practitioner"))] if ref is not None}
        if len(practitioners) <= 1:
            people += resources.of("Practitioner", "PractitionerRole")
    for person in list(people):
        if person.type == "PractitionerRole":
            doctor = resources.resolve(person.get("practitioner"))
            if doctor is not None and doctor not in people:
                people.append(doctor)
        elif person.type == "Practitioner":
            people += [r for r in resources.of("PractitionerRole")
                       if (resources.resolve(r.get("practitioner")) or r).ref == person.ref and r not in people]
    for person in people:
        concepts = [(f"specialty[{i}]", c) for i, c in enumerate(person.get("specialty") or ())]
        concepts += [(f"code[{i}]", c) for i, c in enumerate(person.get("code") or ()) if isinstance(c, Mapping)]
        concepts += [(f"qualification[{i}].code", q.get("code")) for i, q in enumerate(person.get("qualification") or ())]
        for element, concept in concepts:
            for coding in (concept or {}).get("coding") or ():
                term = vocabulary.specialties.get(coding.get("code"))
                if term is not None and coding.get("system") in (NUCC, None):
                    b.put("prescriber", term, person, element)
                    return


# ---- documentation answered on the laro-kb questionnaire ----------------------------------------------------

def _questionnaires(b: _Builder, resources: Resources, vocabulary: Vocabulary) -> None:
    """A QuestionnaireResponse to the laro-kb questionnaire answers case fields by name: each item's linkId is a
    field (``treatment.regimen``), its answers the value (valueCoding.code for a term, several for a list)."""
    for qr in resources.of("QuestionnaireResponse"):
        if qr.get("questionnaire") != QUESTIONNAIRE or qr.get("status") not in ANSWERED:
            continue
        for path, item in _items(qr.get("item") or (), "item"):
            name = item.get("linkId")
            answers = item.get("answer") or ()
            if not answers or "." not in str(name) and name not in vocabulary.fields:
                continue
            f = vocabulary.fields.get(name)
            if f is None:
                from ..case.suggest import nearest
                raise CaseError(f"linkId {str(name)[:80]!r} is not a field of the case format", file=b.file,
                                record=qr.ref, field=f"{path}.linkId", suggestion=nearest(str(name), vocabulary.fields))
            values = [_answer(a) for a in answers]
            value = values if f.type == "terms" else values[0]
            if f.type != "terms" and len(values) > 1:
                raise CaseError(f"answers {name} {len(values)} times; it takes one value", file=b.file,
                                record=qr.ref, field=f"{path}.answer")
            b.put(name, value, qr, f"{path}.answer")


def _items(items: Iterable, path: str):
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            yield f"{path}[{i}]", item
            yield from _items(item.get("item") or (), f"{path}[{i}].item")


def _answer(answer: Mapping) -> Any:
    for key in ("valueBoolean", "valueInteger", "valueDecimal", "valueString", "valueDate"):
        if key in answer:
            return answer[key]
    coding = answer.get("valueCoding")
    if isinstance(coding, Mapping):
        return coding.get("code")
    return None

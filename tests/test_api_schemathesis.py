"""Schemathesis drives every operation of /api/v1/openapi.json in-process, with a real token on the demo school.

For each operation:
1. schemathesis' coverage cases — boundary values, missing and mistyped values, unexpected methods;
2. generated examples, valid and invalid (a bounded number per operation and mode);
3. generated valid examples aimed at real data: the demo school's id, its artefacts' and documents'
   ids, the triggers of its workflows and the artefact's current version, so that requests get
   past «not found» into the use cases.

No response may be a 500; every response must match the documented status codes, content types,
headers and schemas; invalid requests must be refused with a documented 4xx; a request without
the token must not succeed.

The cases are driven through schemathesis' Python API (coverage cases, `as_strategy`,
`call_and_validate`) rather than `schemathesis.pytest.from_fixture`, whose lazy loader does not
run on pytest 9.2 (it reads `request.node._nodeid`).
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, auths
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from vsoko_flow.models import Artefact, PlanItem, PlanSection, Signature, StoredDocument
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.demo import load_demo
from vsoko_flow.services.meetings import create_meeting
from vsoko_flow.services.plans import add_item, add_section, commit_import
from vsoko_flow.services.users import issue_token

MAX_EXAMPLES = 25            # generated examples per operation, per mode
MAX_COVERAGE_CASES = 200     # a bound on schemathesis' systematic cases per operation (about 100 are made)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, ignored_auth]
EXPECTED_OPERATIONS = {"GET /workflows", "GET /artefacts", "POST /artefacts", "GET /artefacts/{artefact_id}",
                       "POST /artefacts/{artefact_id}/transitions", "PUT /artefacts/{artefact_id}/sections",
                       "GET /documents/{document_id}",
                       "GET /artefacts/{artefact_id}/items", "POST /artefacts/{artefact_id}/items",
                       "GET /artefacts/{artefact_id}/items/{item_id}", "PATCH /artefacts/{artefact_id}/items/{item_id}",
                       "DELETE /artefacts/{artefact_id}/items/{item_id}",
                       "POST /artefacts/{artefact_id}/items/{item_id}/move",
                       "POST /artefacts/{artefact_id}/items/sections", "POST /artefacts/{artefact_id}/items/import",
                       "PUT /artefacts/{artefact_id}/agenda", "GET /jobs/{job_id}",
                       # the quality cycle (web/api_quality.py)
                       "GET /artefacts/{artefact_id}/audit", "PUT /artefacts/{artefact_id}/audit/programme",
                       "PUT /artefacts/{artefact_id}/audit/lines/{line_id}",
                       "POST /artefacts/{artefact_id}/audit/lines/{line_id}/finding",
                       "POST /artefacts/{artefact_id}/audit/findings", "GET /quality/overview",
                       "GET /quality/sources",
                       # signatures (web/api_signatures.py)
                       "GET /documents/{document_id}/signatures", "GET /documents/{document_id}/print",
                       "POST /signatures/{signature_id}/simple", "POST /signatures/{signature_id}/qualified",
                       "POST /signatures/{signature_id}/decline",
                       "POST /artefacts/{artefact_id}/sections/import",
                       "POST /artefacts/{artefact_id}/items/accept-numbers",
                       "POST /artefacts/{artefact_id}/items/sections/{section_id}/move",
                       "DELETE /artefacts/{artefact_id}/items/sections/{section_id}",
                       # district monitoring (web/api_monitoring.py)
                       "GET /monitoring/campaigns/{campaign_id}/results",
                       "GET /monitoring/campaigns/{campaign_id}/schools/{school_id}/card",
                       "PUT /monitoring/campaigns/{campaign_id}/schools/{school_id}/card",
                       "POST /monitoring/campaigns/{campaign_id}/exports",
                       "GET /monitoring/campaigns/{campaign_id}/files/{file_id}",
                       "POST /monitoring/campaigns/{campaign_id}/groups", "POST /monitoring/requests/{request_id}/answer",
                       "POST /monitoring/campaigns/{campaign_id}/schools/{school_id}/corrective-plan",
                       "GET /monitoring/districts/{district_id}/cards", "POST /monitoring/districts/{district_id}/cards",
                       "GET /monitoring/district-plans/{plan_id}/progress",
                       }  # schemathesis leaves out the schema's own URL
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@dataclass
class DemoApi:
    rt: object
    app: Flask
    token: str
    school_id: int
    artefact_ids: list[int]
    document_ids: list[int]
    triggers: list[str] = field(default_factory=list)
    items: list[tuple[int, int]] = field(default_factory=list)  # (item id, its plan's id)
    section_ids: list[int] = field(default_factory=list)
    sections: list[tuple[int, int]] = field(default_factory=list)  # (section id, its plan's id)
    plan_ids: list[int] = field(default_factory=list)  # the plan and the meeting: artefacts with rows
    signature_ids: list[int] = field(default_factory=list)  # the demo's documents waiting for signatures

    def version_of(self, artefact_id: int) -> int:
        with self.rt.sessions() as session:
            return session.get(Artefact, artefact_id, populate_existing=True).version


@pytest.fixture
def demo_api(rt) -> DemoApi:
    from vsoko_flow.web import create_app

    users = load_demo(rt)  # the demo school with a Положение in force and its new edition in draft
    token = issue_token(rt, "deputy", "schemathesis")
    _plan_and_meeting(rt, users)
    with rt.sessions() as session:
        artefacts = session.scalars(select(Artefact).order_by(Artefact.id)).all()
        documents = list(session.scalars(select(StoredDocument.id).order_by(StoredDocument.id)))
        items = [tuple(row) for row in session.execute(select(PlanItem.id, PlanItem.artefact_id).order_by(PlanItem.id))]
        sections = [tuple(row) for row in session.execute(
            select(PlanSection.id, PlanSection.artefact_id).order_by(PlanSection.id))]
        signatures = list(session.scalars(select(Signature.id).order_by(Signature.id)))
    triggers = sorted({t for d in rt.definitions.values() for t in d.transitions})
    assert artefacts and documents and users and items and sections and signatures
    return DemoApi(rt=rt, app=create_app(rt, {"TESTING": True}), token=token,
                   school_id=artefacts[0].organisation_id, artefact_ids=[a.id for a in artefacts],
                   document_ids=documents, triggers=triggers, items=items,
                   section_ids=[section_id for section_id, _ in sections], sections=sections,
                   plan_ids=sorted({plan_id for _, plan_id in items}), signature_ids=signatures)


def _plan_and_meeting(rt, users: dict[str, int]) -> None:
    """Rows for the aimed cases: a plan imported from the project's activity plan and a meeting with one
    question and decision."""
    from .test_plan_pages import plan_docx

    with rt.sessions() as session:
        school_id = session.get(Artefact, 1).organisation_id
    plan_id = create_artefact(rt, users["deputy"], school_id, "activity_plan", school_year="2024/2025")
    commit_import(rt, plan_id, users["deputy"], plan_docx(), "plan.docx")
    meeting_id = create_meeting(rt, users["deputy"], school_id, "pedsovet", dt.date.today())
    question = add_section(rt, meeting_id, users["deputy"], "О подготовке к ВПР", version=None)
    add_item(rt, meeting_id, users["deputy"], version=None, section_id=question.id,
             fields={"activity": "Провести пробные работы"}, responsible_logins=["deputy"], deadline_text="Май")


def _aim(case, demo: DemoApi, data) -> None:
    """Point a valid generated case at real rows, keeping the rest of what was generated."""
    path = case.path_parameters or {}
    if "item_id" in path:  # a row together with its own plan
        path["item_id"], path["artefact_id"] = data.draw(st.sampled_from(demo.items), label="item")
    elif "section_id" in path:  # a section together with its own plan
        path["section_id"], path["artefact_id"] = data.draw(st.sampled_from(demo.sections), label="section")
    elif "artefact_id" in path:
        rows = "/items" in case.operation.path or case.operation.path.endswith("/agenda")
        path["artefact_id"] = data.draw(st.sampled_from(demo.plan_ids if rows else demo.artefact_ids),
                                        label="artefact_id")
    if "document_id" in path:
        path["document_id"] = data.draw(st.sampled_from(demo.document_ids), label="document_id")
    if "signature_id" in path:
        path["signature_id"] = data.draw(st.sampled_from(demo.signature_ids), label="signature_id")
    body = case.body
    if isinstance(body, dict):
        if "organisation_id" in body:
            body["organisation_id"] = demo.school_id
        if body.get("section_id") is not None:
            body["section_id"] = data.draw(st.sampled_from(demo.section_ids), label="section_id")
        if "trigger" in body:
            body["trigger"] = data.draw(st.sampled_from(demo.triggers), label="trigger")
        if "version" in body and "artefact_id" in path and data.draw(st.booleans(), label="current version"):
            body["version"] = demo.version_of(path["artefact_id"])
    if case.query and "organisation_id" in case.query:
        case.query["organisation_id"] = demo.school_id
    if case.query and "version" in case.query and "artefact_id" in path \
            and data.draw(st.booleans(), label="current version"):
        case.query["version"] = demo.version_of(path["artefact_id"])


def _failure(label: str, case, error: BaseException) -> str:
    reproduce = case.as_curl_command() if case is not None else ""
    return f"{label}: {type(error).__name__}: {error}\n  reproduce: {reproduce}"


def test_api_conforms_to_its_openapi_document(demo_api: DemoApi):
    config = schemathesis.Config.from_dict({"auth": {"openapi": {"bearerAuth": {"bearer": demo_api.token}}}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_api.app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == EXPECTED_OPERATIONS

    failures: list[str] = []
    for operation in operations:
        # 1. Coverage cases, with the token set the way schemathesis' own engine sets it.
        auth_context = auths.AuthContext(operation=operation, app=operation.app)
        coverage = schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode),
                                              generation_config=schema.config.generation_for(operation=operation))
        for case in itertools.islice(coverage, MAX_COVERAGE_CASES):
            auths.set_on_generated_case(case, auth_context, None)
            try:
                case.call_and_validate(checks=CHECKS)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collect every failure, report them all
                failures.append(_failure(f"{operation.label} [coverage]", case, error))
                break

        # 2. Generated examples, valid and invalid; 3. valid ones aimed at real rows.
        for label, mode, aimed in (("positive", GenerationMode.POSITIVE, False),
                                   ("negative", GenerationMode.NEGATIVE, False),
                                   ("positive, real ids", GenerationMode.POSITIVE, True)):
            last: list = [None]

            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            @SETTINGS
            def run(case, data):
                last[0] = case
                if aimed:
                    _aim(case, demo_api, data)
                case.call_and_validate(checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - schemathesis' FailureGroup
                failures.append(_failure(f"{operation.label} [{label}]", last[0], error))
    assert not failures, "\n\n".join(failures)


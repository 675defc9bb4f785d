"""A full district monitoring campaign over 10 schools in different states of their ВСОКО: the
automatic answers agree with the data, the cards are scored on their scales, the results screen,
the .xlsx, the справка and the letters hold figures recomputed here independently."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from vsoko_flow.models import JobUnit, MonitoringFile, MonitoringRequest, MonitoringSchoolCard
from vsoko_flow.procedures import monitoring as domain
from vsoko_flow.services import monitoring as service
from vsoko_flow.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from vsoko_flow.services.jobs import run_job
from vsoko_flow.services.transitions import fire_transition

from .flows import docx_text
from .monitoring_seed import (
    TEN_SCHOOLS, TODAY, expected_answers, expected_max, expected_points, seed_district,
)


@pytest.fixture
def district(rt):
    return seed_district(rt, TEN_SCHOOLS)


def launch(rt, district, today: dt.date = TODAY) -> int:
    """A campaign approved, data asked for, two expert groups of five schools each, assessment open."""
    campaign_id = service.create_campaign(rt, district["methodologist"], district.id, today=today)
    ids = sorted(district.profiles)
    service.add_group(rt, district["methodologist"], campaign_id, "Группа 1", ["d1_expert1"], ids[:5])
    service.add_group(rt, district["methodologist"], campaign_id, "Группа 2", ["d1_expert2"], ids[5:])
    fire_transition(rt, campaign_id, "approve", district["head"],
                    fields={"order_date": today.isoformat(), "order_number": "115-р"}, today=today)
    fire_transition(rt, campaign_id, "start_collection", district["methodologist"],
                    fields={"data_deadline": (today + dt.timedelta(days=5)).isoformat()}, today=today)
    return campaign_id


def fill_all(rt, district, campaign_id: int) -> dict[int, dict[str, object]]:
    """Each expert answers their schools: the automatic answer where there is one, else «нет» / 0 / 50 %."""
    given: dict[int, dict[str, object]] = {}
    fallback = {"yes_no": "no", "zero_two": "0", "thresholds": "50"}
    for school_id in sorted(district.profiles):
        expert = district["expert1"] if school_id in sorted(district.profiles)[:5] else district["expert2"]
        view = service.card_view(rt, expert, campaign_id, school_id, today=TODAY)
        answers = {}
        for criterion in view["criteria"]:
            auto = criterion["suggestion"]["value"] if criterion["suggestion"] else None
            answers[criterion["code"]] = {"value": str(auto if auto is not None else fallback[criterion["scale"]]),
                                          "comment": f"Проверено экспертом: {criterion['code']}"}
        service.save_card(rt, expert, campaign_id, school_id, answers, "Обновить раздел ВСОКО на сайте",
                          submit=True, today=TODAY)
        given[school_id] = {code: a["value"] for code, a in answers.items()}
    return given


def test_automatic_answers_agree_with_each_schools_data(rt, district):
    campaign_id = launch(rt, district)
    fire_transition(rt, campaign_id, "start_assessment", district["methodologist"], today=TODAY)
    for school_id, profile in district.profiles.items():
        expert = district["methodologist"]
        view = service.card_view(rt, expert, campaign_id, school_id, today=TODAY)
        found = {c["code"]: c["suggestion"]["value"] for c in view["criteria"]}
        assert found == expected_answers(profile), profile.name
        # Suggestions are never written into the card by themselves.
        assert view["state"] == "draft" and all(not c["answer"] for c in view["criteria"])
    broken = district.schools["МБОУ СОШ № 3 (мнения после педсовета)"]
    k2 = next(c for c in service.card_view(rt, district["methodologist"], campaign_id, broken, TODAY)["criteria"]
              if c["code"] == "K2")
    assert "после заседания педсовета" in k2["suggestion"]["text"] and k2["suggestion"]["evidence"]
    k7 = next(c for c in service.card_view(rt, district["methodologist"], campaign_id, broken, TODAY)["criteria"]
              if c["code"] == "K7")
    assert k7["suggestion"]["value"] is None and k7["suggestion"]["text"].startswith("нет данных")


def test_a_full_campaign_scores_ranks_and_reports_what_the_data_says(rt, district):
    campaign_id = launch(rt, district)
    late_school = district.schools["МБОУ СОШ № 2 (без Положения)"]
    answering = district.schools["МБОУ СОШ № 1 (образцовая)"]
    requests = {r.school_id: r.id for r in _rows(rt, MonitoringRequest, campaign_id)}
    assert len(requests) == 10
    service.answer_request(rt, district.directors[answering], requests[answering], "Отчёт размещён",
                           "https://school1.example/vsoko")
    with pytest.raises(NotFound):  # another school's request is not there for this director
        service.answer_request(rt, district.directors[answering], requests[late_school], "Чужой ответ")

    fire_transition(rt, campaign_id, "start_assessment", district["methodologist"], today=TODAY)
    given = fill_all(rt, district, campaign_id)
    late_day = TODAY + dt.timedelta(days=6)
    fire_transition(rt, campaign_id, "publish", district["methodologist"], today=late_day)

    # The figures, recomputed from the profiles and the values given, not read from the system.
    maximum = expected_max()
    percents = {sid: round(sum(expected_points(code, value) for code, value in values.items()) * 100 / maximum, 1)
                for sid, values in given.items()}
    best = max(percents.values())
    screen = service.results(rt, district["methodologist"], campaign_id, today=late_day)
    assert screen["total"] == screen["assessed"] == 10
    by_school = {row["school_id"]: row for row in screen["rows"]}
    for school_id, percent in percents.items():
        row = by_school[school_id]
        assert row["percent"] == percent
        assert row["zone"] == ("green" if percent >= 85 else "yellow" if percent >= 60 else "red")
        assert row["index"] == round(percent * 100 / best, 1)
    ranking = sorted(percents, key=lambda sid: (-percents[sid], by_school[sid]["school"]))
    assert [row["school_id"] for row in screen["rows"]] == ranking
    assert [row["place"] for row in screen["rows"]] == list(range(1, 11))
    assert screen["rows"][0]["school_id"] == answering  # the exemplary school is first
    # Only the school that answered is not late with its data.
    assert {sid for sid, row in by_school.items() if row["late_requests"]} == set(district.profiles) - {answering}
    reds = service.results(rt, district["methodologist"], campaign_id, service.Filters(zone="red"), today=late_day)
    assert {r["school_id"] for r in reds["rows"]} == {sid for sid, p in percents.items() if p < 60}

    # The справка, the letters and the .xlsx as jobs; their figures are the same.
    report = _export(rt, district, campaign_id, "report")
    text = docx_text(report[0].content)
    assert f"сданы по 10" in text
    for row in screen["rows"]:
        assert row["school"] in text
    letters = _export(rt, district, campaign_id, "letters")
    assert sorted(f.school_id for f in letters) == sorted(district.profiles)
    letter = next(f for f in letters if f.school_id == late_school)
    letter_text = docx_text(letter.content)
    assert "МБОУ СОШ № 2 (без Положения)" in letter_text
    assert f"({str(percents[late_school]).replace('.', ',').removesuffix(',0')} %)" in letter_text
    assert "Положение о ВСОКО утверждено приказом и действует" in letter_text  # a criterion it missed
    workbook = load_workbook(io.BytesIO(_export(rt, district, campaign_id, "xlsx")[0].content))
    sheet = workbook["Результаты"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[11]) for r in rows] == [(by_school[sid]["school"], percents[sid]) for sid in ranking]

    # The school sees its own card and letter once published; the district closes the campaign.
    card = service.card_view(rt, district.directors[late_school], campaign_id, late_school, today=late_day)
    assert card["viewer"] == "school" and card["percent"] == percents[late_school]
    assert all(c["suggestion"] is None for c in card["criteria"])
    school_files = service.files_of(rt, district.directors[late_school], campaign_id)
    assert [f["school_id"] for f in school_files] == [late_school]
    name, data = service.card_document(rt, district.directors[late_school], campaign_id, late_school)
    card_text = docx_text(data)
    assert "ЭКСПЕРТНАЯ КАРТА" in card_text and "МБОУ СОШ № 2 (без Положения)" in card_text
    assert "Проверено экспертом: K1" in card_text and f"({domain.number_text(percents[late_school])} %)" in card_text
    fire_transition(rt, campaign_id, "close", district["methodologist"], today=late_day)


def test_the_next_campaign_shows_what_changed(rt, district):
    first = launch(rt, district)
    fire_transition(rt, first, "start_assessment", district["methodologist"], today=TODAY)
    before = fill_all(rt, district, first)
    fire_transition(rt, first, "publish", district["methodologist"], today=TODAY)
    second = service.create_campaign(rt, district["methodologist"], district.id, previous_id=first, today=TODAY)
    ids = sorted(district.profiles)
    service.add_group(rt, district["methodologist"], second, "Группа", ["d1_expert1"], ids)
    fire_transition(rt, second, "approve", district["head"], fields={"order_date": TODAY.isoformat(),
                                                                     "order_number": "200-р"}, today=TODAY)
    fire_transition(rt, second, "start_collection", district["methodologist"],
                    fields={"data_deadline": TODAY.isoformat()}, today=TODAY)
    fire_transition(rt, second, "start_assessment", district["methodologist"], today=TODAY)
    school = ids[1]  # no Положение before; now the expert finds it in force
    answers = {code: {"value": value} for code, value in before[school].items()}
    answers["K1"] = {"value": "yes"}
    service.save_card(rt, district["expert1"], second, school, answers, submit=True, today=TODAY)
    row = next(r for r in service.results(rt, district["methodologist"], second, today=TODAY)["rows"]
               if r["school_id"] == school)
    assert row["change"] == round(2 * 100 / expected_max(), 1)


def test_bad_answers_are_refused_and_nothing_is_written(rt, district):
    campaign_id = launch(rt, district)
    school = sorted(district.profiles)[0]
    with pytest.raises(Conflict):  # not during data collection
        service.save_card(rt, district["expert1"], campaign_id, school, {"K1": {"value": "yes"}})
    fire_transition(rt, campaign_id, "start_assessment", district["methodologist"], today=TODAY)
    for answers, message in (({"K1": {"value": "может быть"}}, "«да» или «нет»"),
                             ({"K5": {"value": "3"}}, "0, 1 или 2"), ({"K4": {"value": "120"}}, "от 0 до 100"),
                             ({"K99": {"value": "yes"}}, "нет критериев")):
        with pytest.raises(Unprocessable) as refused:
            service.save_card(rt, district["expert1"], campaign_id, school, answers)
        assert message in refused.value.message
    with pytest.raises(Unprocessable) as refused:
        service.save_card(rt, district["expert1"], campaign_id, school, {"K1": {"value": "yes"}}, submit=True)
    assert "не оценены: K2" in refused.value.message
    with pytest.raises(Forbidden):
        service.save_card(rt, district.directors[school], campaign_id, school, {"K1": {"value": "yes"}})
    row = next(r for r in _rows(rt, MonitoringSchoolCard, campaign_id) if r.school_id == school)
    assert row.answers == {} and row.state == "draft"


def test_a_card_edited_is_a_new_version_and_a_campaign_keeps_its_own(rt, district):
    first = launch(rt, district)
    criteria = [{"code": "A1", "text": "Отчёт о самообследовании размещён до 20 апреля", "scale": "yes_no", "weight": 1}]
    version = service.new_card_version(rt, district["methodologist"], district.id, domain.DEFAULT_CARD,
                                       title="Карта 2026", criteria=criteria, pass_mark=50, green_from=90)
    second = service.create_campaign(rt, district["methodologist"], district.id, today=TODAY)
    with rt.sessions() as session:
        from vsoko_flow.models import MonitoringCampaign, MonitoringCard

        cards = {c: session.get(MonitoringCard, session.get(MonitoringCampaign, c).card_id) for c in (first, second)}
    assert (cards[first].version, cards[second].version) == (1, 2) and cards[second].id == version
    assert [c["code"] for c in cards[first].criteria][:2] == ["K1", "K2"]
    for bad in ([], [{"code": "A1", "text": "x", "scale": "1-5"}],
                [{"code": "A1", "text": "x", "scale": "thresholds", "high": 50, "middle": 80}]):
        with pytest.raises(Unprocessable):
            service.new_card_version(rt, district["methodologist"], district.id, "x", title="Карта", criteria=bad,
                                     pass_mark=50, green_from=90)
    with pytest.raises(NotFound):  # an expert does not edit the district's cards
        service.new_card_version(rt, district["expert1"], district.id, "x", title="Карта", criteria=criteria,
                                 pass_mark=50, green_from=90)


def test_letters_are_made_after_publication_only(rt, district):
    campaign_id = launch(rt, district)
    with pytest.raises(Conflict):
        service.request_export(rt, district["methodologist"], campaign_id, "letters")
    with pytest.raises(Forbidden):
        service.request_export(rt, district["expert1"], campaign_id, "xlsx")


def test_the_district_order_is_issued_on_approval(rt, district):
    campaign_id = launch(rt, district)
    from vsoko_flow.models import StoredDocument

    with rt.sessions() as session:
        order = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == campaign_id)).one()
        text = docx_text(order.content)
    assert "ПРИКАЗ" in text and "115-р" in text and "Комитет по образованию (d1)" in text
    assert "Анализ локальных актов, обеспечивающих функционирование ВСОКО" in text
    assert "МБОУ СОШ № 10 (всё понемногу)" in text


def _rows(rt, model, campaign_id: int):
    with rt.sessions() as session:
        return list(session.scalars(select(model).where(model.campaign_id == campaign_id)))


def _export(rt, district, campaign_id: int, what: str) -> list[MonitoringFile]:
    job_ids = service.request_export(rt, district["methodologist"], campaign_id, what)
    assert [run_job(rt, job_id) for job_id in job_ids] == ["done"] * len(job_ids)
    with rt.sessions() as session:
        files = list(session.scalars(select(MonitoringFile).where(MonitoringFile.job_id.in_(job_ids))
                                     .order_by(MonitoringFile.id)))
        for f in files:
            _ = f.content
        assert session.query(JobUnit).filter(JobUnit.job_id.in_(job_ids)).count() == len(files)
        return files

"""Partners answer a round by link or code, page by page, and submit once."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Answer, Draft, InvitationCode, Response, Round
from survey_app.services import rounds
from tests.survey_helpers import (
    answer_all,
    csrf,
    open_round,
    post_page,
    scale_items,
    start_by_code,
    start_by_link,
    submit_review,
)

NUMBER_ITEM = re.compile(r'inputmode="decimal" id="q_([a-z0-9_-]+)"')


def _count(app: Flask, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_complete_survey_by_link_stores_one_response(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    first = start_by_link(client, opened.token)
    assert first.endswith(f"/r/{opened.round_id}/page/1")
    review = answer_all(client, first, value="4")
    assert review.endswith("/review")
    response = submit_review(client, review)
    assert response.status_code == 302 and "/thanks" in response.headers["Location"]
    thanks = client.get(response.headers["Location"]).get_data(True)
    assert "Tak for dine svar" in thanks
    scale_items = [i for i in _instrument(app, "consensus").items() if i.kind == "scale"]
    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        answers = db.session.scalars(select(Answer)).all()
        assert {a.value for a in answers} == {4.0}
        assert len(answers) == len(scale_items)
        assert stored.round_id == opened.round_id
    assert _count(app, Draft) == 0


def _instrument(app: Flask, instrument_id: str):  # noqa: ANN202
    from survey_app.services.definitions import current_library

    with app.app_context():
        return current_library().instruments[instrument_id]


def test_intro_shows_time_anonymity_and_k(app: Flask) -> None:
    opened = open_round(app, ["consensus"], k=7)
    page = app.test_client().get(f"/s/{opened.token}").get_data(True)
    assert "minutter" in page
    assert "mindst 7 personer" in page
    assert "anonyme" in page


def test_every_likert_item_is_a_fieldset_with_legend_and_labels(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    html = client.get(start_by_link(client, opened.token)).get_data(True)
    fieldsets = html.count('<fieldset class="item likert')
    assert fieldsets > 0
    assert html.count("<legend>") >= fieldsets
    radio_ids = re.findall(r'type="radio" id="([^"]+)"', html)
    for radio_id in radio_ids:
        assert f'<label for="{radio_id}">' in html


def test_closed_round_shows_clear_page(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    with app.app_context():
        rounds.close_round(db.session.get(Round, opened.round_id))
        db.session.commit()
    response = app.test_client().get(f"/s/{opened.token}")
    assert response.status_code == 409
    assert "lukket" in response.get_data(True)


def test_draft_round_is_not_open(app: Flask) -> None:
    from survey_app.models import Initiative

    with app.app_context():
        initiative = Initiative(name="Kladde")
        db.session.add(initiative)
        round_ = rounds.create_round(initiative, "Ikke åben", ["consensus"])
        db.session.commit()
        token = round_.link_token
    response = app.test_client().get(f"/s/{token}")
    assert response.status_code == 409
    assert "ikke åbnet" in response.get_data(True)


def test_unknown_link_is_404(app: Flask) -> None:
    assert app.test_client().get("/s/not-a-token").status_code == 404


def test_closed_round_refuses_a_submission_begun_while_open(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    review = answer_all(client, start_by_link(client, opened.token))
    html = client.get(review).get_data(True)
    with app.app_context():
        rounds.close_round(db.session.get(Round, opened.round_id))
        db.session.commit()
    key = html.split('name="submission_key" value="')[1].split('"')[0]
    response = client.post(
        f"/r/{opened.round_id}/submit", data={"csrf_token": csrf(html), "submission_key": key}
    )
    assert response.status_code == 409
    assert _count(app, Response) == 0
    assert _count(app, Draft) == 0  # closing deleted the draft


def test_double_submit_stores_one_and_says_already_received(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    review = answer_all(client, start_by_link(client, opened.token))
    html = client.get(review).get_data(True)
    data = {
        "csrf_token": csrf(html),
        "submission_key": html.split('name="submission_key" value="')[1].split('"')[0],
    }
    first = client.post(f"/r/{opened.round_id}/submit", data=data)
    second = client.post(f"/r/{opened.round_id}/submit", data=data)
    assert "again=0" in first.headers["Location"]
    assert "again=1" in second.headers["Location"]
    assert "allerede modtaget" in client.get(second.headers["Location"]).get_data(True)
    assert _count(app, Response) == 1


def test_code_gives_one_response_and_cannot_be_reused(app: Flask) -> None:
    opened = open_round(app, ["consensus"], codes=2)
    code = opened.codes[0]
    client = app.test_client()
    review = answer_all(client, start_by_code(client, code.lower().replace("-", " ")))
    assert submit_review(client, review).status_code == 302
    again = app.test_client()
    page = again.get("/code")
    response = again.post("/code", data={"code": code, "csrf_token": csrf(page.get_data(True))})
    assert response.status_code == 200
    assert "brugt" in response.get_data(True)
    with app.app_context():
        used = db.session.scalars(select(InvitationCode).where(InvitationCode.used)).all()
        assert [record.code for record in used] == [code]
    assert _count(app, Response) == 1


def test_unknown_code_gets_a_clear_message(app: Flask) -> None:
    open_round(app, ["consensus"])
    client = app.test_client()
    page = client.get("/code")
    response = client.post(
        "/code", data={"code": "AAAA-BBBB-CC", "csrf_token": csrf(page.get_data(True))}
    )
    assert response.status_code == 200
    assert "kender ikke denne kode" in response.get_data(True)


def test_draft_resumes_by_code_in_a_fresh_client(app: Flask) -> None:
    opened = open_round(app, ["consensus"], codes=1)
    laptop = app.test_client()
    first = start_by_code(laptop, opened.codes[0])
    html = laptop.get(first).get_data(True)
    item = scale_items(html)[0]
    response = post_page(laptop, first, {item: "2"})
    second_page = response.headers["Location"]
    assert second_page.endswith("/page/2")

    phone = app.test_client()
    resumed = start_by_code(phone, opened.codes[0])
    assert resumed == second_page
    back = phone.get(first).get_data(True)
    assert f'name="q_{item}" value="2" checked' in back


def test_language_switch_keeps_the_answers(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    first = start_by_link(client, opened.token)
    html = client.get(first).get_data(True)
    items = scale_items(html)
    answers = {items[0]: "5", items[1]: "dk"}
    response = post_page(client, first, answers, action="", switch_language="en")
    assert response.status_code == 302 and response.headers["Location"].endswith("/page/1")
    english = client.get(first).get_data(True)
    assert '<html lang="en">' in english
    assert "Strongly agree" in english
    assert f'name="q_{items[0]}" value="5" checked' in english
    assert f'name="q_{items[1]}" value="dk" checked' in english


def test_validation_error_keeps_every_typed_answer(app: Flask) -> None:
    opened = open_round(app, ["resources"])
    client = app.test_client()
    url = start_by_link(client, opened.token)
    html = client.get(url).get_data(True)
    while not NUMBER_ITEM.search(html):  # the number item may sit on a later page
        url = post_page(client, url, {}).headers["Location"]
        html = client.get(url).get_data(True)
    numbers = NUMBER_ITEM.findall(html)
    radios = scale_items(html)
    comments = re.findall(r'<textarea id="q_([a-z0-9_-]+)"', html)
    answers: dict[str, str] = {numbers[0]: "mange"}
    if radios:
        answers[radios[0]] = "3"
    if comments:
        answers[comments[0]] = "Vi mangler <b>tid</b> & penge"
    response = post_page(client, url, answers)
    body = response.get_data(True)
    assert response.status_code == 200
    assert "Ret venligst følgende" in body
    assert 'value="mange"' in body
    if radios:
        assert f'name="q_{radios[0]}" value="3" checked' in body
    if comments:
        assert "Vi mangler &lt;b&gt;tid&lt;/b&gt; &amp; penge" in body
    assert f'href="#q_{numbers[0]}"' in body


def test_expired_csrf_token_rerenders_with_answers(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    first = start_by_link(client, opened.token)
    html = client.get(first).get_data(True)
    item = scale_items(html)[0]
    response = client.post(
        first, data={f"q_{item}": "4", "csrf_token": "expired-token", "action": "next"}
    )
    body = response.get_data(True)
    assert response.status_code == 200
    assert f'name="q_{item}" value="4" checked' in body
    assert "udløbet" in body
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        assert item not in draft.answers_json  # nothing is saved from an untrusted post


def test_out_of_scale_value_is_a_form_error_and_stores_nothing(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    first = start_by_link(client, opened.token)
    html = client.get(first).get_data(True)
    item = scale_items(html)[0]
    response = post_page(client, first, {item: "6"})
    assert response.status_code == 200
    assert "Ret venligst følgende" in response.get_data(True)
    with app.app_context():
        assert item not in db.session.scalars(select(Draft)).one().answers_json


def test_duplicated_field_and_nul_bytes_give_400(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    first = start_by_link(client, opened.token)
    html = client.get(first).get_data(True)
    item = scale_items(html)[0]
    token = csrf(html)
    duplicated = client.post(first, data={f"q_{item}": ["4", "5"], "csrf_token": token})
    assert duplicated.status_code == 400
    nul = client.post(first, data={f"q_{item}": "4\x00", "csrf_token": token})
    assert nul.status_code == 400


def test_oversized_body_gets_413(app: Flask) -> None:
    opened = open_round(app, ["consensus"])
    client = app.test_client()
    first = start_by_link(client, opened.token)
    response = client.post(first, data={"q_x": "a" * (3 * 1024 * 1024)})
    assert response.status_code == 413

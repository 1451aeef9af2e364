"""The self-review form over HTTP: who may open it, drafts, refusals beside their fields with
everything typed kept, and the submit itself through the service."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from models import AuditEntry, SelfReviewDraft, Unit
from states.rule_set import load_rule_set
from tests.states.helpers import snapshot
from tests.web.conftest import LiveServer
from tests.web.signing import sign_in_http
from tests.web.test_identity import client, csrf_of

PAGE = "/cycles/TT-2026/units/M%3AA3/self-review"
CRITERIA = load_rule_set("qd366-2025").criteria


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


def _signed_in(server: LiveServer, key: str) -> object:
    http = client(server)
    sign_in_http(http, server, key)
    return http


def test_only_the_member_under_review_opens_their_form(live_server: LiveServer) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:B1")
        refused = http.get(PAGE)
        assert refused.status_code == 403
        assert "You may not do this" in refused.text and "Traceback" not in refused.text
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        page = http.get(PAGE)
        assert page.status_code == 200
        for criterion in CRITERIA:
            assert criterion in page.text
        assert 'name="score"' in page.text


def test_a_refused_submit_keeps_everything_and_says_why_beside_each_field(
    live_server: LiveServer,
) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        token = csrf_of(http.get(PAGE).text)
        before = snapshot(live_server.engine)
        form = {
            "csrf_token": token,
            "do": "submit",
            "level": "excellent",
            "score": "85",
            "criteria.0": "Đã làm <script>alert(1)</script> tốt",
            "strengths": "Chăm chỉ",
        }
        refused = http.post(PAGE, data=form)
        assert refused.status_code == 400
        html = refused.text
        # Beside the score: the band it allows; beside an empty criterion: that it is empty.
        score_error = html.index('id="error-score"')
        assert score_error < html.index('name="score"')
        assert "a score of 85 allows at most Well completed duties" in html
        assert 'id="error-criteria.1"' in html and 'id="error-criteria.0"' not in html
        # Nothing typed is lost, and what was typed is escaped.
        assert "Đã làm &lt;script&gt;alert(1)&lt;/script&gt; tốt" in html
        assert "<script>alert(1)" not in html
        assert 'value="85"' in html and "Chăm chỉ" in html
        assert '<option value="excellent" selected>' in html
        assert snapshot(live_server.engine) == before


def test_a_draft_is_kept_for_its_writer_then_submitted(live_server: LiveServer) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        token = csrf_of(http.get(PAGE).text)
        draft = {"csrf_token": token, "do": "draft", "criteria.0": "Bản nháp", "score": "80"}
        saved = http.post(PAGE, data=draft)
        assert saved.status_code == 303
        again = http.get(PAGE)
        assert "Bản nháp" in again.text, again.text[-3000:]
        assert "Draft last saved at" in again.text
        form = {
            "csrf_token": token,
            "do": "submit",
            "level": "good",
            "score": "80",
            **{f"criteria.{i}": "Đạt yêu cầu." for i in range(len(CRITERIA))},
            "shortcomings.2.text": "Chưa đều tay",
            "shortcomings.2.cause": "Chủ quan",
        }
        done = http.post(PAGE, data=form)
        assert done.status_code == 303, done.text
    with Session(live_server.engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        assert unit.state == "peer_review" and unit.has_shortcomings
        assert session.exec(select(SelfReviewDraft)).all() == []
        entry = session.exec(
            select(AuditEntry).where(
                AuditEntry.unit_id == unit.id, AuditEntry.trigger == "submit_self_review"
            )
        ).one()
        assert (entry.actor, entry.via, entry.operator) == ("A3", "page", None)

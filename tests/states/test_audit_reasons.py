"""The system's own reasons in the audit log are stored as a code and worded when shown, in the
reader's language; what a person wrote is shown as written and can never pass for one."""

from __future__ import annotations

from states.text_limits import control_character
from vocabulary import use_language
from vocabulary.names import LEVELS
from vocabulary.reasons import MARK, coded, worded


def test_a_coded_reason_reads_in_each_language_with_the_one_table_of_level_names() -> None:
    reason = coded("vote_carried", round=2, level="good", votes=3, cast=4)
    assert "good" in reason and "ballots" not in reason  # the code and fields, not words
    with use_language("vi"):
        vi = worded(reason)
        assert vi == f"vòng 2: {LEVELS['good']} đạt 3 trên 4 phiếu"
    with use_language("en"):
        assert worded(reason) == "round 2: Well completed duties carried with 3 of 4 ballots"
    undecided = coded(
        "vote_undecided",
        round=1,
        majority="50%",
        cast=3,
        tally=[["excellent", 1], ["good", 2]],
        next=2,
    )
    with use_language("vi"):
        assert f"({LEVELS['excellent']} 1, {LEVELS['good']} 2)" in worded(undecided)


def test_what_a_person_wrote_and_old_rows_are_shown_as_written() -> None:
    assert worded("Chưa có sản phẩm vượt trội {level}") == "Chưa có sản phẩm vượt trội {level}"
    assert worded("round 1: good carried with 2 of 3 ballots") == (
        "round 1: good carried with 2 of 3 ballots"
    )
    assert worded(None) == "" and worded("") == ""


def test_a_person_cannot_write_a_coded_reason() -> None:
    """The mark is a control character every text a person writes is refused for."""
    forged = coded("vote_unopposed")
    refusal = control_character("reason", forged)
    assert refusal is not None and refusal.fields["character"] == f"U+{ord(MARK):04X}"


def test_a_reason_of_an_unknown_code_is_shown_not_hidden() -> None:
    stored = coded("a_later_versions_code", n=1)
    assert "a_later_versions_code" in worded(stored) and not worded(stored).startswith(MARK)

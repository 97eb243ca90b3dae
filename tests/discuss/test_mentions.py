"""Reading @mentions: the longest known name after each @ (Chinese names have no spaces around them)."""

from __future__ import annotations

from xietong.discuss.mentions import MENTION_LIMIT, NAME_LIMIT, candidates, excerpt, fold, parse

KNOWN = {fold(n) for n in ("张伟", "张伟伟", "技术部", "li.gong", "John Smith")}


def names(text: str) -> list[str]:
    return [m.name for m in parse(text, KNOWN)]


def test_it_reads_a_chinese_name_followed_by_text_without_a_space() -> None:
    assert names("@张伟请看一下") == ["张伟"]


def test_it_takes_the_longest_known_name() -> None:
    assert names("@张伟伟 和 @张伟") == ["张伟伟", "张伟"]
    assert names("@张伟伟伟") == ["张伟伟"]


def test_it_reads_departments_logins_without_case_and_full_width_at() -> None:
    assert names("请＠技术部 和 @LI.GONG 确认") == ["技术部", "LI.GONG"]


def test_a_name_with_a_space_is_read_whole() -> None:
    assert names("@John Smith please") == ["John Smith"]


def test_an_email_address_is_no_mention() -> None:
    assert names("写信到 zhang@example.com 或 li.gong@技术部") == []


def test_unknown_names_and_bare_at_are_left_alone() -> None:
    assert names("@某人 @ @\n张伟") == []


def test_where_the_mention_is() -> None:
    [found] = parse("抄送@张伟。", KNOWN)
    assert "抄送@张伟。"[found.start : found.end] == "@张伟"


def test_candidates_are_bounded_whatever_the_text() -> None:
    text = ("@" + "长" * 1000 + " ") * 1000
    found = candidates(text)
    assert len(found) <= MENTION_LIMIT * NAME_LIMIT
    assert max(len(c) for c in found) == NAME_LIMIT
    assert len(parse(text, {fold("长" * NAME_LIMIT)})) == MENTION_LIMIT


def test_candidates_hold_every_beginning_after_each_at() -> None:
    assert candidates("@张伟好") == {"张", "张伟", "张伟好"}
    assert candidates("no mention") == set()


def test_excerpt_is_one_line_of_at_most_100_characters() -> None:
    assert excerpt("第一行\n\n第二行") == "第一行 第二行"
    cut = excerpt("字" * 300)
    assert len(cut) == 100 and cut.endswith("…")

"""The design system (docs/design-system.md): its files, the grouped top bar, the workspace navigation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from tests.conftest import make_person
from tests.helpers import signed_in
from xietong.collabs.models import Collaboration, CollabType
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
STATIC = Path(__file__).resolve().parents[1] / "xietong" / "static" / "xietong"


def page(person: Person, url: str) -> html.HtmlElement:
    response = signed_in(person).get(url)
    assert response.status_code == 200, url
    return html.fromstring(response.content.decode())


def css(root: html.HtmlElement, selector: str) -> list[html.HtmlElement]:
    """The elements under ``root`` matching a simple CSS selector (tags, #id, .class, [attr=value], " ", ">")."""
    path, axis = ".", "//"
    for token in re.findall(r">|[^\s>]+", selector):
        if token == ">":
            axis = "/"
            continue
        tag = re.match(r"[a-z0-9]*", token).group() or "*"  # type: ignore[union-attr]
        tests = [f"@id='{i}'" for i in re.findall(r"#([\w-]+)", token)]
        tests += [
            f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
            for c in re.findall(r"\.([\w-]+)", token)
        ]
        tests += [f"@{k}='{v}'" for k, v in re.findall(r"\[([\w-]+)=([^\]]+)\]", token)]
        path += axis + tag + "".join(f"[{t}]" for t in tests)
        axis = "//"
    return list(root.xpath(path))


def link_texts(root: html.HtmlElement, selector: str) -> list[str]:
    return [" ".join(a.text_content().split()) for a in css(root, selector)]


# --- the files


def test_it_links_the_tokens_components_and_script_from_every_page(demo: Collaboration) -> None:
    root = page(make_person("ann"), "/")
    sheets = [link.get("href") for link in css(root, "head link[rel=stylesheet]")]
    names = [Path(href).name.split(".")[0] for href in sheets]
    # tokens before the base styles, components after them (they override app.css at equal specificity)
    assert names.index("tokens") < names.index("app") < names.index("components")
    assert any(Path(s.get("src") or "").name.startswith("ui.") for s in css(root, "head script"))
    for name in ("tokens.css", "components.css", "ui.js"):
        assert (STATIC / name).is_file()


def test_it_follows_the_system_s_dark_mode_through_the_tokens() -> None:
    tokens = (STATIC / "tokens.css").read_text()
    assert "color-scheme: light dark" in tokens
    assert "@media (prefers-color-scheme: dark)" in tokens
    assert '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei"' in tokens
    # the per-area stylesheets draw no colour of their own: every colour is a token (charts excepted)
    for sheet in STATIC.glob("*.css"):
        if sheet.name in {"tokens.css", "dashboards.css"}:
            continue
        text = re.sub(r"color:#fff\b", "", sheet.read_text())  # white text on a solid token colour
        text = re.sub(r"var\(--[\w-]+,\s*#[0-9a-fA-F]+\)", "", text)  # a token with its fallback
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b", text), sheet.name


def _tokens(scheme: str) -> dict[str, str]:
    text = (STATIC / "tokens.css").read_text()
    light, dark = text.split("@media (prefers-color-scheme: dark)")
    found = dict(re.findall(r"--(xt-[a-z-]+):\s*(#[0-9a-fA-F]{3,6})", light))
    if scheme == "dark":
        found |= dict(re.findall(r"--(xt-[a-z-]+):\s*(#[0-9a-fA-F]{3,6})", dark))
    return found


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        colour = colour.lstrip("#")
        if len(colour) == 3:
            colour = "".join(c * 2 for c in colour)
        channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_colour_reads_on_its_surfaces_in_both_schemes(scheme: str) -> None:
    t = _tokens(scheme)
    surfaces = ["xt-surface", "xt-bg-layout", "xt-fill", "xt-surface-raised", "xt-fill-strong"]
    pairs = [(text, surface) for text in ("xt-text", "xt-text-secondary", "xt-link") for surface in surfaces]
    for kind in ("error", "warning", "success", "info", "overdue", "neutral"):
        pairs += [(f"xt-{kind}", f"xt-{kind}-bg"), (f"xt-{kind}", "xt-surface")]
    pairs += [
        ("xt-on-primary", "xt-primary"),
        ("xt-on-primary", "xt-primary-hover"),
        ("xt-link", "xt-primary-bg"),
    ]
    t["xt-on-primary"] = t.get("xt-on-primary", "#fff")
    for kind in ("error", "warning", "success", "info"):
        pairs.append(("xt-white", f"xt-{kind}-solid"))
    t["xt-white"] = "#fff"
    for text, surface in pairs:
        ratio = _contrast(t[text], t[surface])
        assert ratio >= 4.5, f"{scheme}: {text} on {surface} is {ratio:.2f}:1"


# --- the top bar


def test_a_person_s_top_bar_groups_the_work_and_puts_the_account_in_a_menu(demo: Collaboration) -> None:
    root = page(make_person("ann"), "/")
    primary = link_texts(root, "#main-nav > a")
    for name in ("我的工作台", "发起协作", "全局概览", "我的通知"):
        assert any(text.startswith(name) for text in primary), (name, primary)
    assert css(root, "#main-nav #inbox-badge")
    # not a staff member: no administration menu
    assert not css(root, ".xt-admin-menu")
    account = css(root, "header .tools details.xt-account-menu")
    assert len(account) == 1
    assert css(account[0], "summary")[0].text_content().strip() == "ann"
    assert link_texts(account[0], "a") == ["接口令牌", "日历订阅", "两步验证"]
    assert [b.text_content().strip() for b in css(account[0], "button")] == [
        "简体中文",
        "English",
        "退出",
    ]
    # the personal pages are no longer in the primary navigation
    assert not {"接口令牌", "日历订阅", "两步验证"} & set(primary)


def test_staff_find_the_administration_in_its_own_menu(demo: Collaboration) -> None:
    staff = make_person("root", is_staff=True, is_superuser=True)
    root = page(staff, "/")
    menu = css(root, "#main-nav details.xt-admin-menu")
    assert len(menu) == 1
    assert css(menu[0], "summary")[0].text_content().strip() == "管理"
    links = link_texts(menu[0], "a")
    for name in ("组织与人员", "投递与工作进程", "运维", "管理后台"):
        assert name in links


def test_the_current_page_is_marked_in_the_top_bar(demo: Collaboration) -> None:
    root = page(make_person("ann"), "/overview/")
    assert link_texts(root, "#main-nav a[aria-current=page]") == ["全局概览"]


def test_a_signed_out_visitor_still_switches_language(db: None) -> None:
    response = signed_in.__globals__["Client"]().get("/accounts/login/")
    root = html.fromstring(response.content.decode())
    assert [b.text_content().strip() for b in css(root, "header .tools button")] == [
        "简体中文",
        "English",
    ]
    assert not css(root, "#main-nav a")


# --- the workspace


def test_step_7_s_pages_are_in_the_navigation_of_every_workspace_page(
    demo: Collaboration, admin_user: Person
) -> None:
    root = page(admin_user, f"/c/{demo.slug}/table/")
    sub = css(root, "#ws-head nav.ws-subnav")
    assert len(sub) == 1
    hrefs = [a.get("href") for a in css(sub[0], "a")]
    assert hrefs == [f"/c/{demo.slug}/{p}/" for p in ("tracking", "issues", "risks", "sla")]
    assert link_texts(sub[0], "a") == ["周进度清单", "问题跟踪表", "风险登记表", "时限与周期任务"]
    # on step 7 itself they are its tabs, not twice
    root = page(admin_user, f"/c/{demo.slug}/issues/")
    assert not css(root, "nav.ws-subnav")
    tabs = css(root, "nav.register-nav a")
    assert link_texts(root, "nav.register-nav a[aria-current=page]") == ["问题跟踪表"]
    assert len(tabs) == 4


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        (CollabType.PROJECT, False),
        (CollabType.PROBLEM_SOLVING, False),
        (CollabType.RESOURCE_COORDINATION, True),
        (CollabType.PROCESS_OPTIMIZATION, True),
    ],
)
def test_the_resources_tab_is_there_only_for_the_types_it_serves(
    demo: Collaboration, admin_user: Person, kind: CollabType, shown: bool
) -> None:
    Collaboration.objects.filter(pk=demo.pk).update(type=kind)
    resources = f"/c/{demo.slug}/resources/"
    for url, selector in (
        (f"/c/{demo.slug}/goal/", "nav.ws-subnav a"),
        (f"/c/{demo.slug}/risks/", "nav.register-nav a"),
    ):
        hrefs = [a.get("href") for a in css(page(admin_user, url), selector)]
        assert (resources in hrefs) is shown, (kind, url)
        if shown:
            assert hrefs[-1] == resources


def test_the_home_page_links_the_import_page(demo: Collaboration) -> None:
    root = page(make_person("ann"), "/")
    assert "/import/" in [a.get("href") for a in css(root, "main a")]


def test_the_confirmation_dialog_and_toasts_are_translated_in_the_page(demo: Collaboration) -> None:
    root = page(make_person("ann"), "/")
    template = css(root, "template#xt-confirm")
    assert len(template) == 1
    words = template[0].text_content()
    assert "请确认" in words and "取消" in words and "确定" in words
    assert template[0].get("data-close-label") == "关闭"

"""Regenerate the README's screenshots in docs/screenshots/.

    .venv/bin/python tests/browser/make_screenshots.py [--out docs/screenshots]

Starts ``xietong run`` on a free port with a throw-away data folder (so the
demo is loaded fresh, dated around today), signs in as ``admin`` and saves
full-page PNGs of the main pages in Chinese, a few in English, and the
main pages again at phone size (390x844, touch: ``*.phone.zh.png``) and in
dark mode (``*.dark.zh.png``). Uses the system's Chromium
(``/usr/bin/chromium`` or ``XIETONG_CHROMIUM``); never downloads a browser.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the project importable

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DEMO = "/c/demo"

# (file name without language, path)
CHINESE = [
    ("home", "/"),
    ("collaboration", f"{DEMO}/"),
    ("goal", f"{DEMO}/goal/"),
    ("departments", f"{DEMO}/departments/"),
    ("table", f"{DEMO}/table/"),
    ("board", f"{DEMO}/board/"),
    ("my-tasks", "/my/tasks/"),
    ("kickoff", f"{DEMO}/kickoff/"),
    ("tracking", f"{DEMO}/tracking/"),
    ("dashboard", f"{DEMO}/dashboard/"),
    ("overview", "/overview/"),
    ("organisation", "/org/"),
]
ENGLISH = [
    ("home", "/"),
    ("collaboration", f"{DEMO}/"),
    ("table", f"{DEMO}/table/"),
    ("dashboard", f"{DEMO}/dashboard/"),
]
# The main pages on a 390 px phone (``<name>.phone.zh.png``) and in dark mode (``<name>.dark.zh.png``).
MAIN = [
    ("home", "/"),
    ("my-tasks", "/my/tasks/"),
    ("collaboration", f"{DEMO}/"),
    ("table", f"{DEMO}/table/"),
    ("board", f"{DEMO}/board/"),
    ("kickoff", f"{DEMO}/kickoff/"),
    ("tracking", f"{DEMO}/tracking/"),
    ("dashboard", f"{DEMO}/dashboard/"),
]
PHONE_SHOTS = [(f"{name}.phone", path) for name, path in MAIN]
DARK_SHOTS = [(f"{name}.dark", path) for name, path in MAIN]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"xietong run stopped with code {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def settle(page: Page) -> None:
    """Wait until the page is ready to be photographed: fonts loaded, every chart drawn."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    for chart in page.locator("[data-chart]").all():
        expect(chart).to_have_attribute("data-chart-ready", "1", timeout=15_000)


def watch(page: Page) -> list[str]:
    """Collect the page's JavaScript errors and failed requests (the favicon aside)."""
    errors: list[str] = []

    def console(msg: Any) -> None:
        if msg.type == "error":
            errors.append(f"console.error: {msg.text} {msg.location.get('url', '')}")

    def response(r: Any) -> None:
        if r.status >= 400:
            errors.append(f"HTTP {r.status}: {r.url}")

    page.on("pageerror", lambda error: errors.append(f"JavaScript error: {error}"))
    page.on("console", console)
    page.on("response", response)
    return errors


def sign_in(page: Page, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(password)
    page.locator("button.primary").click()
    expect(page.locator("#id_password")).to_have_count(0)


def shoot(
    browser: Browser,
    base_url: str,
    password: str,
    out: Path,
    shots: list[tuple[str, str]],
    *,
    language: str,
    viewport: dict[str, int],
    suffix: str,
    dark: bool = False,
) -> list[Path]:
    context = browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        locale="zh-CN" if language == "zh-hans" else "en-US",
        base_url=base_url,
        device_scale_factor=1,
        color_scheme="dark" if dark else "light",
        # a phone is a touch screen (as inside the IM suites' in-app browsers)
        is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE,
    )
    page = context.new_page()
    errors = watch(page)
    sign_in(page, password)
    # the language is kept on the person: an earlier pass in English must not leak into this one
    if page.locator("html").get_attribute("lang") != language:
        switch = page.locator(f"button[name=language][value={language}]").first
        if not switch.is_visible():  # the language switch sits in the account menu
            page.locator("details.xt-account-menu summary").click()
        switch.click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    written = []
    for name, path in shots:
        page.goto(path)
        settle(page)
        target = out / f"{name}.{suffix}.png"
        page.screenshot(path=str(target), full_page=True, animations="disabled")
        written.append(target)
        print(f"  {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  ({path})")
    context.close()
    real = [e for e in errors if "favicon.ico" not in e]
    if real:
        sys.exit("the pages reported errors:\n" + "\n".join(real))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk")

    port = free_port()
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="xietong-shots-") as data:
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}},
            "XIETONG_DATA": data,
            "XIETONG_ADMIN_PASSWORD": password,
        }
        xietong = Path(sys.executable).with_name("xietong")
        log = Path(data) / "server.log"
        server = subprocess.Popen(
            [str(xietong), "run", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url + "/accounts/login/", server, log)
            print(f"xietong run on {base_url}; writing to {out}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, "--hide-scrollbars"]
                )
                common: dict[str, Any] = {"base_url": base_url, "password": password, "out": out}
                shoot(browser, shots=CHINESE, language="zh-hans", viewport=DESKTOP, suffix="zh", **common)
                shoot(browser, shots=ENGLISH, language="en", viewport=DESKTOP, suffix="en", **common)
                shoot(browser, shots=PHONE_SHOTS, language="zh-hans", viewport=PHONE, suffix="zh", **common)
                shoot(
                    browser,
                    shots=DARK_SHOTS,
                    language="zh-hans",
                    viewport=DESKTOP,
                    suffix="zh",
                    dark=True,
                    **common,
                )
                browser.close()
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()

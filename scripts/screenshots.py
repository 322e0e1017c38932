"""Screenshots of the chat for the README, taken from the app serving the demo index.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Builds the demo index first if it is absent (as ``newsqa demo`` does), starts ``python app.py`` on a
free local port, drives it with headless Chromium, and writes:

- ``answer.png``: an answer with its first source opened (the sentence highlighted in its paragraph);
- ``follow-up.png``: a follow-up question answered from the conversation, the day its "on Monday" means shown;
- ``filters-and-upload.png``: an answer under a source and date filter, with the "Add articles" panel open.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app_process import app_env, free_port, start_app, stop_app, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
QUESTION = "Why did the apartment building in Magnitogorsk collapse?"
FOLLOW_UP = "When did it collapse?"  # the answer says "on Monday": the chat gives the day
FILTERED = "Who was elected Speaker of the 116th U.S. Congress?"
TIMEOUT_MS = 90_000


def take(url: str, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 920}, device_scale_factor=1)
        page.goto(url)
        answers = page.locator("#chat .nqa-answer")

        def ask(question: str) -> None:
            before = answers.count()
            page.locator("#question textarea").fill(question)
            page.locator("#ask").click()
            expect(answers).to_have_count(before + 1, timeout=TIMEOUT_MS)

        def shot(name: str) -> None:
            path = out / name
            page.screenshot(path=str(path))
            written.append(path)

        ask(QUESTION)
        first = answers.last.locator("details.nqa-source").first
        first.locator("summary").click()
        expect(first.locator("mark.nqa-hl").first).to_be_visible()
        answers.last.locator(".nqa-quote").first.scroll_into_view_if_needed()
        shot("answer.png")

        ask(FOLLOW_UP)
        answers.last.scroll_into_view_if_needed()
        shot("follow-up.png")

        page.locator("#new-conversation").click()
        expect(answers).to_have_count(0)
        page.locator("#source-filter input").click()
        page.get_by_role("option").first.click()
        page.keyboard.press("Escape")
        page.locator("#date-from textarea, #date-from input").first.fill("2019-01-01")
        page.locator("#date-to textarea, #date-to input").first.fill("2019-12-31")
        page.locator("#add-articles").get_by_text("Add articles").click()
        expect(page.locator("#upload")).to_be_visible()
        ask(FILTERED)
        answers.last.scroll_into_view_if_needed()
        shot("filters-and-upload.png")
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    os.environ.update(app_env())  # building the demo index below loads the model in this process

    from newsqa.cli import ensure_demo_index

    index = ensure_demo_index()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_app(index, port)  # its output goes to this terminal
    try:
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_serving(url, proc, timeout=600.0)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from exc
        for path in take(url, args.out, args.chromium):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        stop_app(proc, timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The steps of a rectification item on its page, as the browser tests take them: the unit
submits its plan, the office decides, the unit reports progress. Each waits for the entry the
step adds to the item's history."""

from __future__ import annotations

from typing import Any


def submit_plan(page: Any, base: str, item_pk: int, text: str, measures: str, nth: int = 0) -> None:
    """The unit head submits the plan (`measures`: one "measure | deadline" a line); `nth`:
    how many plans the item had before."""
    page.goto(f"{base}/rectification/{item_pk}/")
    page.fill("#id_text", text)
    page.fill("#id_measures", measures)
    page.click("form[action$='/plan/'] button[type=submit]")
    page.wait_for_selector(f".entry[data-kind=plan] >> nth={nth}")


def decide(page: Any, base: str, item_pk: int, decision: str, comment: str) -> None:
    """The office accepts or returns the plan, or closes the item (`decision`: accept, return,
    close)."""
    page.goto(f"{base}/rectification/{item_pk}/")
    page.fill("#id_comment", comment)
    page.click(f"button[value={decision}]")
    kind = {"accept": "accepted", "return": "returned", "close": "closed"}[decision]
    page.wait_for_selector(f".entry[data-kind={kind}]")


def report_progress(page: Any, base: str, item_pk: int, text: str) -> None:
    page.goto(f"{base}/rectification/{item_pk}/")
    page.fill("#id_text", text)
    page.click("form[action$='/progress/'] button[type=submit]")
    page.wait_for_selector(".entry[data-kind=progress]")

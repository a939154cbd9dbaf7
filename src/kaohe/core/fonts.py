"""The Chinese fonts the PDF documents need (reports, code sheets): what fontconfig has, and a
clear refusal when it has none."""

from __future__ import annotations

import functools
import shutil
import subprocess

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# the families the PDF stylesheets ask for, in order (docs/operations.md names the packages)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "AR PL UMing CN")


@functools.cache
def cjk_fonts() -> tuple[str, ...]:
    """The font families on this machine that cover simplified Chinese (fontconfig's view)."""
    if shutil.which("fc-list") is None:
        return ()
    listed = subprocess.run(
        ["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False
    ).stdout
    return tuple(sorted({name.strip() for line in listed.splitlines() for name in line.split(",")}))


def check_fonts() -> None:
    if not cjk_fonts():
        raise ValidationError(
            _(
                "No Chinese font is installed on this server, so the PDF cannot be made: "
                "install fonts-noto-cjk (see the operations guide)."
            )
        )

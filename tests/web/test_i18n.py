"""The interface catalogues (zh_Hans, the default, and en) are complete, compiled and used.

Every entry of both .po files is translated and none is fuzzy; the committed .mo files hold
exactly what the .po files say (a fresh clone needs no gettext); placeholders survive
translation; the pages come out in Chinese by default and in English on request; and, where
gettext is installed, the catalogues hold every string the code marks for translation.
Refresh them with `make messages`, translate what is new, and commit the .po and .mo files.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

import kaohe

LANGS = ["zh_Hans", "en"]
PACKAGE = Path(kaohe.__file__).resolve().parent
# Keep in step with the `messages` target of the Makefile.
IGNORED = ["engine", "demo", "testing"]
# zh_Hans translations that may legitimately contain no Chinese character.
NO_CJK_ALLOWED: set[str] = set()

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PY_FORMAT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]")
NAMED_FORMAT = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
BRACE_FORMAT = re.compile(r"\{[^{}\s]*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 when singular)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> str:
        """The key gettext stores the entry under in a .mo file."""
        key = self.msgid if self.msgid_plural is None else f"{self.msgid}\0{self.msgid_plural}"
        return key if self.msgctxt is None else f"{self.msgctxt}\x04{key}"

    @property
    def value(self) -> str:
        return "\0".join(self.msgstr[i] for i in sorted(self.msgstr))

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def parse_po(path: Path) -> list[Entry]:
    """A small PO parser (standard library only): entries with flags, contexts and plurals."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if not line or line.startswith("#"):
                continue
        elif line.startswith("#"):
            if entry is None or target is not None:
                entry, target = Entry(line=lineno), None
                entries.append(entry)
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith('"'):
            assert entry is not None and target is not None, f"{path}:{lineno}: stray string"
            text = ast.literal_eval(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += text
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + text)
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}:{lineno}: cannot read {raw!r}"
        keyword, index, literal = match.groups()
        text = ast.literal_eval(literal)
        if keyword in ("msgctxt", "msgid"):
            if entry is None or (target is not None and target[0] == "msgstr"):
                entry = Entry(line=lineno)
                entries.append(entry)
            setattr(entry, keyword, text)
            target = (keyword, 0)
        elif keyword == "msgid_plural":
            assert entry is not None, f"{path}:{lineno}: msgid_plural without msgid"
            entry.msgid_plural, target = text, ("msgid_plural", 0)
        else:
            assert entry is not None, f"{path}:{lineno}: msgstr without msgid"
            position = int(index) if index is not None else 0
            entry.msgstr[position], target = text, ("msgstr", position)
        entry.obsolete = entry.obsolete or obsolete
    return entries


def read_mo(path: Path) -> dict[str, str]:
    """Every (key, translation) pair of a GNU .mo file, read from its tables."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    assert struct.unpack(order + "I", data[:4])[0] == 0x950412DE, f"{path} is not a .mo file"
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    result = {}
    for i in range(count):
        k_len, k_off = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        v_len, v_off = struct.unpack(
            order + "2I", data[translations + 8 * i : translations + 8 * i + 8]
        )
        key = data[k_off : k_off + k_len].decode("utf-8")
        result[key] = data[v_off : v_off + v_len].decode("utf-8")
    return result


def catalogue(lang: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / lang / "LC_MESSAGES"


def header(entries: list[Entry]) -> dict[str, str]:
    first = entries[0]
    assert first.msgid == "" and first.msgctxt is None, "the catalogue has no header entry"
    fields = {}
    for line in first.msgstr[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def messages(lang: str) -> list[Entry]:
    return [e for e in parse_po(catalogue(lang) / "django.po") if e.msgid and not e.obsolete]


def placeholders(text: str, python_format: bool) -> tuple[list[str], list[str]]:
    """Python-format placeholders (named and positional, %% included; only the named ones when
    gettext did not flag the entry python-format, where a lone % is literal) and {brace} ones."""
    pattern = PY_FORMAT if python_format else NAMED_FORMAT
    return sorted(m.group(0) for m in pattern.finditer(text)), sorted(BRACE_FORMAT.findall(text))


# (a) complete, not fuzzy, compiled -----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_header_is_final(lang: str) -> None:
    entries = parse_po(catalogue(lang) / "django.po")
    fields = header(entries)
    assert "fuzzy" not in entries[0].flags, f"{lang}: the header is marked fuzzy"
    assert fields.get("Language") == lang
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert fields.get("Plural-Forms", "").startswith("nplurals=")


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_is_translated(lang: str) -> None:
    entries = parse_po(catalogue(lang) / "django.po")
    plural_forms = re.search(r"nplurals=(\d+)", header(entries)["Plural-Forms"])
    assert plural_forms, f"{lang}: the header has no nplurals"
    nplurals = int(plural_forms.group(1))
    found = messages(lang)
    assert found, f"{lang}: the catalogue is empty"
    assert not [str(e) for e in entries if e.obsolete], f"{lang}: obsolete entries remain"
    assert not [str(e) for e in found if "fuzzy" in e.flags], f"{lang}: fuzzy entries"
    assert not [str(e) for e in found if not all(e.msgstr.values())], f"{lang}: untranslated"
    wrong_forms = [str(e) for e in found if e.msgid_plural and len(e.msgstr) != nplurals]
    assert not wrong_forms, f"{lang}: plural entries need {nplurals} forms"
    duplicates = {e.key for e in found if [x.key for x in found].count(e.key) > 1}
    assert not duplicates, f"{lang}: duplicate entries {sorted(duplicates)}"


def test_both_catalogues_have_the_same_entries() -> None:
    zh, en = ({e.key for e in messages(lang)} for lang in LANGS)
    assert not zh - en, f"only in zh_Hans: {sorted(zh - en)}"
    assert not en - zh, f"only in en: {sorted(en - zh)}"


def test_chinese_catalogue_is_in_chinese() -> None:
    untranslated = [
        str(e)
        for e in messages("zh_Hans")
        if e.msgid not in NO_CJK_ALLOWED and not all(CJK.search(s) for s in e.msgstr.values())
    ]
    assert not untranslated, f"zh_Hans entries without any Chinese: {untranslated}"


def test_english_catalogue_repeats_the_source() -> None:
    """The msgids are English: the en catalogue fills each msgstr with its msgid."""
    different = []
    for e in messages("en"):
        forms = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        expected = [forms[min(i, len(forms) - 1)] for i in sorted(e.msgstr)]
        if [e.msgstr[i] for i in sorted(e.msgstr)] != expected:
            different.append(str(e))
    assert not different, f"en entries whose msgstr is not the msgid: {different}"


@pytest.mark.parametrize("lang", LANGS)
def test_mo_matches_po(lang: str) -> None:
    """The committed .mo holds exactly the .po's entries (run `make messages` if not)."""
    po = catalogue(lang) / "django.po"
    mo = catalogue(lang) / "django.mo"
    assert mo.exists(), f"{mo} is missing: run `make messages` and commit it"
    entries = [e for e in parse_po(po) if not e.obsolete]
    expected = {e.key: e.value for e in entries}
    compiled = read_mo(mo)
    # msgfmt leaves the POT-Creation-Date out of the compiled header (reproducible builds).
    for table in (expected, compiled):
        table[""] = re.sub(r"^POT-Creation-Date:.*\n", "", table.get("", ""), flags=re.M)
    stale = sorted(k for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert not stale, f"{lang}: .mo differs from .po for {stale[:10]}"
    assert sorted(expected.keys() - compiled.keys()) == [], f"{lang}: .mo lacks entries"
    assert sorted(compiled.keys() - expected.keys()) == [], f"{lang}: .mo has extra entries"


# (c) placeholders ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    wrong = []
    for e in messages(lang):
        python_format = "python-format" in e.flags
        sources = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        wanted = {tuple(map(tuple, placeholders(s, python_format))) for s in sources}
        for form in e.msgstr.values():
            got = tuple(map(tuple, placeholders(form, python_format)))
            if got not in wanted:
                wrong.append(f"{e}: {form!r}")
    assert not wrong, f"{lang}: placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_placeholder_check_catches_mistakes() -> None:
    assert placeholders("第 %(n)s 页", True) != placeholders("page %(n)s of %(total)s", True)
    assert placeholders("增速 %%", True) == placeholders("growth %%", True)
    assert placeholders("增速 %", True) != placeholders("growth %%", True)
    assert placeholders("比率（%）", False) == placeholders("rate (%)", False)
    assert placeholders("版本", False) != placeholders("version %(n)s", False)


# (b) the pages speak Chinese by default and English on request --------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "用户名" in page and "密码" in page
    assert "Sign in" not in page and "User name" not in page


@pytest.mark.django_db
def test_login_page_follows_the_browser_language(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page and "User name" in page and "Password" in page
    assert "登录" not in page
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8").content.decode()
    assert "用户名" in page


@pytest.mark.django_db
def test_language_switch_sticks(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/login/").content.decode()
    assert "Sign in" in page and "登录" not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "登录" in page


@pytest.mark.django_db
def test_error_pages_are_translated(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/no-such-page/").content.decode()
    assert "未找到" in page
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not found" in page


# the catalogues hold every marked string ----------------------------------------------------


def _gettext_missing() -> bool:
    return any(shutil.which(tool) is None for tool in ("xgettext", "msgmerge", "msguniq"))


@pytest.mark.skipif(_gettext_missing(), reason="GNU gettext is not installed")
def test_catalogues_hold_every_marked_string(tmp_path: Path) -> None:
    """Run makemessages on a copy of the code; every msgid it finds must be in the catalogues.
    (Entries the code no longer uses are harmless: the next `make messages` drops them.)"""
    source = tmp_path / "src" / "kaohe"
    shutil.copytree(
        PACKAGE,
        source,
        ignore=shutil.ignore_patterns(*IGNORED, "locale", "__pycache__"),
    )
    (tmp_path / "locale").mkdir()
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "i18n_check_settings.py").write_text(
        "from kaohe.settings import *  # noqa: F403\n"
        f"LOCALE_PATHS = [{str(tmp_path / 'locale')!r}]\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "KAOHE_DEBUG": "1",
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "conf"), str(PACKAGE.parent)]),
    }
    run = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--settings=i18n_check_settings"],
        cwd=source, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    fresh = parse_po(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    wanted = {e.key for e in fresh if e.msgid}
    for lang in LANGS:
        have = {e.key for e in messages(lang)}
        missing = sorted(wanted - have)
        assert not missing, f"{lang}: run `make messages` and translate: {missing}"

"""Every UI string is translatable and has an English translation."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.utils import translation

import samplan

PACKAGE = Path(samplan.__file__).parent
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_english_catalogue_is_complete() -> None:
    catalogue = polib.pofile(str(PO))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_compiled_catalogue_matches_the_source() -> None:
    compiled = polib.mofile(str(PO.with_suffix(".mo")))
    source = polib.pofile(str(PO))
    assert {e.msgid: e.msgstr for e in compiled if e.msgid} == {
        e.msgid: e.msgstr for e in source.translated_entries() if not e.msgid_plural
    } | {e.msgid: e.msgstr for e in compiled if e.msgid_plural}


def test_every_string_in_code_and_templates_is_in_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "samplan"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            # -P: the working directory (the package's copy) is not put on sys.path, where
            # samplan/statistics would hide the standard library's statistics module.
            "-P",
            "-m",
            "samplan.cli",
            "makemessages",
            "-l",
            "en",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = {
        e.msgid for e in polib.pofile(str(copy / "locale/en/LC_MESSAGES/django.po")) if e.msgid
    }
    committed = {e.msgid for e in polib.pofile(str(PO)) if e.msgid}
    assert not fresh - committed, (
        f"run `make messages`: new strings {sorted(fresh - committed)[:10]}"
    )


def test_a_page_string_in_english() -> None:
    with translation.override("en"):
        assert translation.gettext("Skyddade personuppgifter.") != "Skyddade personuppgifter."

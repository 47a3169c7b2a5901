"""Course pack upload: validated with the content checker, stored atomically, merged."""

from __future__ import annotations

from pathlib import Path

from bot.content import Catalogue, load_catalogue
from bot.training.upload import PackUploader

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "docs" / "examples" / "contoh-kursus.toml").read_bytes()


def test_valid_pack_is_stored_under_its_key_and_merged(tmp_path: Path) -> None:
    current = load_catalogue()
    uploader = PackUploader(tmp_path / "packs")
    result = uploader.install("whatever name (1).toml", EXAMPLE, current)
    assert result.accepted and result.is_new
    assert result.catalogue is not None
    assert result.catalogue.course("contoh-kursus") is not None
    assert len(result.catalogue) == len(current) + 1
    assert current.course("contoh-kursus") is None             # the old catalogue untouched
    assert [p.name for p in (tmp_path / "packs").iterdir()] == ["contoh-kursus.toml"]
    # An update of the same course replaces it; a restart merges the stored packs again.
    again = uploader.install("contoh-kursus.toml", EXAMPLE, result.catalogue)
    assert again.accepted and not again.is_new
    merged = uploader.merge_stored(Catalogue.of(current))
    assert merged.course("contoh-kursus") is not None


def test_broken_pack_lists_line_numbered_problems(tmp_path: Path) -> None:
    broken = EXAMPLE.replace(b"order = 900", b'order = "late"')
    uploader = PackUploader(tmp_path / "packs")
    result = uploader.install("contoh-kursus.toml", broken, load_catalogue())
    assert not result.accepted and result.catalogue is None
    assert result.problems and all(p.split(": ", 1)[0].isdigit() for p in result.problems)
    assert any(p.startswith("4: ") for p in result.problems), result.problems
    assert not (tmp_path / "packs").exists()


def test_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    result = PackUploader(tmp_path).install("x.toml", b'key = "a"\n[title\n', Catalogue.of([]))
    assert not result.accepted
    assert result.problems[0].startswith("2: TOML syntax")


def test_a_write_cut_short_by_a_kill_is_tidied_away_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    uploader = PackUploader(folder)
    uploader.install("contoh-kursus.toml", EXAMPLE, load_catalogue())
    half = folder / "tmpab12cd.part"  # what a SIGKILL between write and rename leaves
    half.write_bytes(EXAMPLE[: len(EXAMPLE) // 2])
    merged = PackUploader(folder).merge_stored(load_catalogue())
    assert merged.course("contoh-kursus") is not None  # the stored pack is whole
    assert sorted(p.name for p in folder.iterdir()) == ["contoh-kursus.toml"]

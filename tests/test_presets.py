import hashlib
import json
import shutil

import pytest

from conftest import PRESETS
from style_core import presets
from style_core.image_io import load_image
from style_core.presets import PRESETS as TABLE
from style_core.presets import STYLE_IDS, PresetError


def test_manifest_has_the_four_paintings_and_the_photo_with_provenance():
    assert STYLE_IDS == ("starry-night", "the-scream", "composition-vii", "shipwreck-of-the-minotaur")
    assert [p.id for p in TABLE.values() if p.kind == "photo"] == ["tubingen"]
    for preset in TABLE.values():
        assert preset.source_url.startswith("https://upload.wikimedia.org/")
        assert len(preset.source_md5) == 32 and preset.title and preset.artist and preset.year and preset.license
    assert TABLE["tubingen"].license == "CC BY 3.0" and TABLE["tubingen"].artist == "Andreas Praefcke"


@pytest.mark.parametrize("preset_id", list(TABLE))
def test_each_preset_ships_in_the_repository_under_1_mb_with_its_checksum(preset_id):
    path = presets.resolve(preset_id)
    assert path == (PRESETS / f"{preset_id}.jpg").resolve()
    data = path.read_bytes()
    assert len(data) < 1_000_000
    assert hashlib.md5(data).hexdigest() == TABLE[preset_id].md5
    assert min(load_image(path).size) >= 600  # a real picture, not a thumbnail or a pointer file


def test_the_photo_is_byte_identical_to_its_source():
    assert TABLE["tubingen"].md5 == TABLE["tubingen"].source_md5


def test_manifest_lists_exactly_the_shipped_images():
    shipped = {p.name for p in PRESETS.glob("*.jpg")}
    assert shipped == {p.file for p in TABLE.values()}
    assert json.loads((PRESETS / "manifest.json").read_text())["presets"][0]["id"] == "starry-night"


def test_typo_gets_did_you_mean_and_the_list_of_paintings_only():
    with pytest.raises(PresetError, match="did you mean 'starry-night'") as info:
        presets.resolve("starry-nite")
    assert "paintings: starry-night, the-scream, composition-vii, shipwreck-of-the-minotaur)" in str(info.value)
    assert "tubingen" not in str(info.value)


def test_operator_folder_overrides_the_shipped_file(tmp_path, monkeypatch):
    shutil.copy(PRESETS / "the-scream.jpg", tmp_path / "the-scream.jpg")
    monkeypatch.setenv("STYLE_PRESETS_DIR", str(tmp_path))
    assert presets.resolve("the-scream") == (tmp_path / "the-scream.jpg").resolve()
    assert presets.resolve("starry-night") == (PRESETS / "starry-night.jpg").resolve()  # not there: shipped


def test_a_damaged_shipped_file_is_named_as_such(tmp_path, monkeypatch):
    pointer = tmp_path / "starry-night.jpg"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 613337\n")
    monkeypatch.setattr(presets, "PRESETS_DIR", tmp_path)
    monkeypatch.setattr(presets, "_verified", set())
    with pytest.raises(PresetError, match="starry-night.jpg is damaged .*Git LFS pointer"):
        presets.resolve("starry-night")
    pointer.unlink()
    with pytest.raises(PresetError, match="is missing"):
        presets.resolve("starry-night")


def test_resolve_image_accepts_paths_and_ids(tmp_path):
    assert presets.resolve_image("composition-vii").name == "composition-vii.jpg"
    assert presets.resolve_image(str(tmp_path / "x.png")) == tmp_path / "x.png"

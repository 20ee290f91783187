import json
import re
import subprocess
import sys

from PIL import Image

from conftest import ROOT, TUBINGEN, photo
from style_core.cli import main


def test_cli_writes_png_of_requested_long_side_with_settings(tmp_path, capsys):
    out = tmp_path / "out.png"
    code = main(["--content", TUBINGEN, "--style", "starry-night",
                 "--size", "64", "--steps", "4", "--seed", "1", "--preserve-color", "--output", str(out)])
    assert code == 0
    image = Image.open(out)
    assert image.size == (64, 48)  # 1024×768 photo, long side 64
    settings = json.loads(image.text["deepstyle"])
    assert settings["steps"] == 4 and settings["preserve_color"] == "luminance" and settings["styles"] == ["starry-night"]
    assert "step" in capsys.readouterr().err  # the tqdm bar


def test_cli_blends_two_styles(tmp_path):
    photo().save(tmp_path / "p.png")
    out = tmp_path / "out.png"
    assert main(["--content", str(tmp_path / "p.png"), "--style", "the-scream", "--style", "composition-vii",
                 "--blend", "0.7", "0.3", "--size", "48", "--steps", "2", "--output", str(out)]) == 0
    assert Image.open(out).size == (48, 36)


def test_cli_paints_by_region_with_one_mask_per_style(tmp_path):
    photo(96, 72).save(tmp_path / "p.png")
    left = Image.new("L", (96, 72), 0)
    left.paste(255, (0, 0, 48, 72))
    left.save(tmp_path / "left.png")
    left.point(lambda v: 255 - v).save(tmp_path / "right.png")
    out = tmp_path / "out.png"
    assert main(["--content", str(tmp_path / "p.png"), "--style", "starry-night", "--mask", str(tmp_path / "left.png"),
                 "--style", "the-scream", "--mask", str(tmp_path / "right.png"), "--size", "64", "--steps", "3",
                 "--output", str(out)]) == 0
    settings = json.loads(Image.open(out).text["deepstyle"])
    assert settings["styles"] == ["starry-night", "the-scream"] and settings["masks"][1].endswith("right.png")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "style_core", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    cases = [
        (["--content", str(bad), "--style", "starry-night"], "not an image"),
        (["--content", TUBINGEN, "--style", "starry-nite"], "did you mean 'starry-night'"),
        (["--content", TUBINGEN, "--style", "the-scream", "--size", "5"], "size must be 0 (automatic) or between"),
        (["--content", TUBINGEN, "--style", "the-scream", "--style", "starry-night", "--mask", TUBINGEN],
         "1 mask for 2 styles: give one mask per style"),
        (["--content", TUBINGEN, "--style", "the-scream", "--mask", str(bad)], "mask 1: not an image"),
    ]
    for args, message in cases:
        result = _run(*args, "--output", str(tmp_path / "o.png"))
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert "Traceback" not in result.stderr


def test_help_documents_every_option():
    result = _run("--help")
    assert result.returncode == 0
    for option in ("--content", "--style", "--mask", "--size", "--steps", "--seconds", "--seed", "--preserve-color",
                   "--device", "--output",
                   "--style-weight", "--style-scale", "--tv-weight", "--pooling", "--blend", "--init", "--optimizer"):
        assert option in result.stdout


def test_each_bad_input_of_the_hardening_list_exits_2_with_one_line(tmp_path, capsys):
    from test_hardening import CASES

    for name, data, expected in CASES:
        path = tmp_path / name
        path.write_bytes(data)
        out = tmp_path / f"{name}.out.png"
        code = main(["--content", str(path), "--style", "starry-night", "--size", "64", "--steps", "1", "--output", str(out)])
        err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
        if isinstance(expected, str):
            assert code == 2 and len(err) == 1 and re.search(expected, err[0]), (name, err)
        else:
            assert code == 0 and Image.open(out).size == expected, name


def test_cli_paints_a_clip_into_an_mp4_with_its_settings(tmp_path):
    from conftest import clip
    from style_core.video_io import probe, read_metadata

    source = clip(tmp_path / "clip.mov", frames=12, fps=12)
    out = tmp_path / "out.mp4"
    done = _run("--content", str(source), "--style", "the-scream", "--size", "64", "--fps", "8", "--steps", "2",
                "--clip-seconds", "0.5", "--seed", "1", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "painting the first 0.5 s of your 1 s clip at 8 fps, 64 px" in done.stderr
    info = probe(out)
    assert info.size == (64, 48) and info.fps == 8 and info.seconds == 0.5
    settings = read_metadata(out)
    assert settings["steps"] == 2 and settings["fps"] == 8 and settings["styles"] == ["the-scream"]


def test_cli_says_in_a_line_what_does_not_go_with_a_clip(tmp_path):
    from conftest import clip

    photo().save(tmp_path / "p.png")
    still = _run("--content", str(tmp_path / "p.png"), "--style", "the-scream", "--output", str(tmp_path / "o.mp4"))
    assert still.returncode == 2 and still.stderr.strip() == "error: video: this is a still picture, not a clip: paint it as a photo"
    source = clip(tmp_path / "clip.mp4", frames=4)
    masked = _run("--content", str(source), "--style", "the-scream", "--mask", str(tmp_path / "p.png"),
                  "--output", str(tmp_path / "o.mp4"))
    assert masked.returncode == 2 and "a clip is painted whole" in masked.stderr and "Traceback" not in masked.stderr


def test_cli_says_a_clip_needs_an_mp4_output(tmp_path):
    from conftest import clip

    source = clip(tmp_path / "clip.mp4", frames=4)
    done = _run("--content", str(source), "--style", "the-scream", "--output", str(tmp_path / "o.png"))
    assert done.returncode == 2 and "this is a video clip, not a photo: paint it as a clip" in done.stderr

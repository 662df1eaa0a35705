"""The command line, through subprocess as users run it."""

import io
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, features

import aecodec
from conftest import png_claiming_size, synthetic_photo


def run(*args, cwd=None, umask=None, stdin=None, text=True):
    return subprocess.run([sys.executable, "-m", "aecodec", *map(str, args)], capture_output=True, text=text,
                          cwd=cwd, input=stdin, preexec_fn=None if umask is None else lambda: os.umask(umask))


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"img{i}.png"
        Image.fromarray(synthetic_photo(48, 64, seed=i)).save(path)
        paths.append(path)
    return paths


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"aecodec {aecodec.__version__}"


def test_encode_decode_info_and_overwrite_rules(tmp_path):
    (source,) = make_images(tmp_path, 1)
    result = run("encode", source, "-q", "60")
    assert result.returncode == 0, result.stderr
    target = tmp_path / "img0.aec"
    assert "bpp" in result.stdout and target.exists()
    before = target.read_bytes()

    refused = run("encode", source, "-q", "20")
    assert refused.returncode == 1
    assert "exists (use --force to overwrite)" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert target.read_bytes() == before

    forced = run("encode", source, "-q", "20", "--force")
    assert forced.returncode == 0 and target.read_bytes() != before

    info = run("info", target)
    assert info.returncode == 0 and "48" in info.stdout and "quality 20.0" in info.stdout

    decoded = run("decode", target, "-o", tmp_path / "out.png")
    assert decoded.returncode == 0, decoded.stderr
    assert Image.open(tmp_path / "out.png").size == (64, 48)
    assert run("decode", target, "-o", tmp_path / "out.jpg").returncode == 0
    assert Image.open(tmp_path / "out.jpg").format == "JPEG"
    assert leftovers(tmp_path) == []


def test_folders_globs_and_target_bpp(tmp_path):
    make_images(tmp_path / "in", 3)
    result = run("encode", tmp_path / "in", "-d", tmp_path / "out", "--bpp", "1.0")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img0.aec", "img1.aec", "img2.aec"]
    result = run("decode", str(tmp_path / "out" / "*.aec"), "-d", tmp_path / "png")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "png").glob("*.png"))) == 3


def test_bad_input_gives_one_line_error_and_no_output(tmp_path):
    bad = tmp_path / "bad.aec"
    bad.write_bytes(b"\x89AEC\r\n\x1a\n" + b"\0" * 50)
    result = run("decode", bad, "-o", tmp_path / "bad.png")
    assert result.returncode == 1
    assert result.stderr.startswith("aecodec: error:") and "Traceback" not in result.stderr
    assert not (tmp_path / "bad.png").exists() and leftovers(tmp_path) == []

    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    result = run("encode", not_image)
    assert result.returncode == 1 and "cannot read image" in result.stderr
    assert "object at 0x" not in result.stderr  # no Python repr of Pillow's file object
    assert not (tmp_path / "notes.aec").exists()

    missing = run("encode", tmp_path / "nope*.png")
    assert missing.returncode == 1 and "no file matches" in missing.stderr
    assert run("info", bad).returncode == 1
    assert run("encode", "-o", tmp_path / "x.aec", *make_images(tmp_path / "two", 2)).returncode == 1


def test_decoded_pixels_match_api(tmp_path):
    image = synthetic_photo(40, 40, seed=11)
    (tmp_path / "a.aec").write_bytes(aecodec.encode(image, quality=70))
    assert run("decode", tmp_path / "a.aec").returncode == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.aec.png")),
                                  np.asarray(aecodec.decode((tmp_path / "a.aec").read_bytes())))


def test_encode_effort(tmp_path):
    (source,) = make_images(tmp_path, 1)
    result = run("encode", source, "-q", "40", "-e", "1", "-o", tmp_path / "e1.aec")
    assert result.returncode == 0, result.stderr
    assert aecodec.decode(tmp_path / "e1.aec").size == (64, 48)
    result = run("encode", source, "-e", "4", "-o", tmp_path / "e4.aec")
    assert result.returncode == 2 and "--effort" in result.stderr
    assert not (tmp_path / "e4.aec").exists()


def test_outputs_get_the_umask_mode(tmp_path):
    (source,) = make_images(tmp_path, 1)
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        target = tmp_path / f"u{umask:o}.aec"
        assert run("encode", source, "-o", target, umask=umask).returncode == 0
        assert stat.S_IMODE(target.stat().st_mode) == mode
        decoded = tmp_path / f"u{umask:o}.png"
        assert run("decode", target, "-o", decoded, umask=umask).returncode == 0
        assert stat.S_IMODE(decoded.stat().st_mode) == mode


def test_output_naming_a_folder_writes_into_it(tmp_path):
    (source,) = make_images(tmp_path, 1)
    (tmp_path / "existing").mkdir()
    assert run("encode", source, "-o", tmp_path / "existing").returncode == 0
    assert (tmp_path / "existing" / "img0.aec").is_file()
    result = run("encode", source, "-o", f"{tmp_path / 'new'}{os.sep}")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["img0.aec"]
    result = run("decode", tmp_path / "new" / "img0.aec", "-o", tmp_path / "existing")
    assert result.returncode == 0 and (tmp_path / "existing" / "img0.png").is_file()


def test_output_name_at_the_file_system_limit(tmp_path):
    (source,) = make_images(tmp_path, 1)
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    target = tmp_path / ("a" * (limit - 4) + ".aec")
    result = run("encode", source, "-o", target)
    assert result.returncode == 0, result.stderr
    assert target.is_file() and leftovers(tmp_path) == []


# Runs the real command line with a signal sent to itself just before the temporary file is renamed:
# the file has been written and the signal lands where an interrupted run would leave it behind.
SIGNAL_AT_RENAME = """
import os, signal, sys
from aecodec.cli import main
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a foreground run, even when the tests run in the background
sig = getattr(signal, sys.argv[1])
for name in ("link", "replace"):
    def hooked(src, dst, *rest, _real=getattr(os, name), **kw):
        if str(src).endswith(".tmp"):
            os.kill(os.getpid(), sig)
        return _real(src, dst, *rest, **kw)
    setattr(os, name, hooked)
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("name,code,word", [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
@pytest.mark.parametrize("force", [False, True])
def test_signal_between_write_and_rename_leaves_nothing(tmp_path, name, code, word, force):
    (source,) = make_images(tmp_path / "in", 1)
    out = tmp_path / "out"
    out.mkdir()
    args = ["encode", str(source), "-o", str(out / "x.aec")] + (["--force"] if force else [])
    result = subprocess.run([sys.executable, "-c", SIGNAL_AT_RENAME, name, *args], capture_output=True, text=True)
    assert result.returncode == code, result.stderr
    assert result.stderr.strip() == f"aecodec: {word}"
    assert list(out.iterdir()) == []


def test_numeric_options_are_validated_by_the_parser(tmp_path):
    (source,) = make_images(tmp_path, 1)
    cases = [("encode", "--threads", "0"), ("encode", "--threads", "-2"), ("encode", "--threads", "x"),
             ("encode", "--bpp", "nan"), ("encode", "--bpp", "inf"), ("encode", "--bpp", "-1"),
             ("encode", "-q", "0"), ("encode", "-q", "101"), ("encode", "-q", "nan"),
             ("decode", "-q", "0"), ("decode", "--threads", "0")]
    for command, option, value in cases:
        result = run(command, source, option, value)
        assert result.returncode == 2, (option, value)
        assert f"argument {option}" in result.stderr and "Traceback" not in result.stderr, (option, value)
    result = run("train", "--data", tmp_path, "--out", tmp_path / "t", "--lr", "nan")
    assert result.returncode == 2 and "argument --lr" in result.stderr
    assert leftovers(tmp_path) == [] and not list(tmp_path.glob("*.aec"))


def test_two_inputs_with_one_output_name_fail_before_any_work(tmp_path):
    first = make_images(tmp_path / "d1", 1)[0]
    second = make_images(tmp_path / "d2", 1)[0]
    result = run("encode", first, second, "-d", tmp_path / "out", "--force")
    assert result.returncode == 1 and "would both be written to" in result.stderr
    assert not (tmp_path / "out").exists()


def test_pipes_round_trip_like_files(tmp_path):
    (source,) = make_images(tmp_path, 1)
    assert run("encode", source, "-o", tmp_path / "f.aec", "-q", "50").returncode == 0
    assert run("decode", tmp_path / "f.aec", "-o", tmp_path / "f.png").returncode == 0
    encoded = run("encode", "-", "-o", "-", "-q", "50", stdin=source.read_bytes(), text=False)
    assert encoded.returncode == 0 and encoded.stdout == (tmp_path / "f.aec").read_bytes()
    assert b"bpp" in encoded.stderr  # the summary goes to stderr when stdout carries data
    decoded = run("decode", "-", "-o", "-", stdin=encoded.stdout, text=False)
    assert decoded.returncode == 0 and decoded.stdout == (tmp_path / "f.png").read_bytes()
    refused = run("decode", "-", stdin="", text=True)
    assert refused.returncode == 1 and "needs -o" in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.aec", "f.png", "img0.png"]


def test_quiet_verbose_and_no_progress_bar_off_a_terminal(tmp_path):
    make_images(tmp_path / "in", 2)
    quiet = run("encode", tmp_path / "in", "-d", tmp_path / "q", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    verbose = run("encode", tmp_path / "in", "-d", tmp_path / "v", "--verbose")
    assert verbose.returncode == 0 and len(verbose.stdout.splitlines()) == 2 and "transform_s" in verbose.stdout
    assert verbose.stderr == ""  # stderr is a pipe here: no progress bar, no carriage returns


def _jpeg_with_metadata(path: Path) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestMake"
    exif[0x0132] = "2024:05:06 07:08:09"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(synthetic_photo(48, 64)).save(path, quality=95, exif=exif, icc_profile=profile)
    return profile


@pytest.mark.parametrize("output", ["png", "jpg", "webp"])
def test_metadata_survives_by_default_and_strip_drops_it(tmp_path, output):
    profile = _jpeg_with_metadata(tmp_path / "photo.jpg")
    assert run("encode", tmp_path / "photo.jpg", "-o", tmp_path / "kept.aec").returncode == 0
    assert run("decode", tmp_path / "kept.aec", "-o", tmp_path / f"kept.{output}").returncode == 0
    with Image.open(tmp_path / f"kept.{output}") as im:
        exif = im.getexif()
        assert (exif[0x010F], exif[0x0132]) == ("TestMake", "2024:05:06 07:08:09")
        assert im.info["icc_profile"] == profile
    assert run("encode", tmp_path / "photo.jpg", "-o", tmp_path / "none.aec", "--strip").returncode == 0
    assert run("decode", tmp_path / "none.aec", "-o", tmp_path / f"none.{output}").returncode == 0
    with Image.open(tmp_path / f"none.{output}") as im:
        assert not im.getexif() and not im.info.get("icc_profile")
    assert run("encode", tmp_path / "photo.jpg", "-o", tmp_path / "icc.aec", "--strip-exif").returncode == 0
    assert aecodec.info(tmp_path / "icc.aec").metadata == ("icc",)


def test_decode_to_lossy_formats_takes_a_quality(tmp_path):
    data = aecodec.encode(synthetic_photo(48, 64), quality=70)
    (tmp_path / "a.aec").write_bytes(data)
    for quality in (30, 95):
        assert run("decode", tmp_path / "a.aec", "-o", tmp_path / f"q{quality}.jpg", "-q", quality).returncode == 0
        expected = io.BytesIO()
        aecodec.decode(data).save(expected, format="JPEG", quality=quality)
        assert (tmp_path / f"q{quality}.jpg").read_bytes() == expected.getvalue()
    assert (tmp_path / "q30.jpg").stat().st_size < (tmp_path / "q95.jpg").stat().st_size


def test_decode_without_output_never_aims_at_the_source_image(tmp_path):
    (source,) = make_images(tmp_path, 1)
    original = source.read_bytes()
    assert run("encode", source).returncode == 0
    for extra in ([], ["--force"]):
        result = run("decode", tmp_path / "img0.aec", *extra)
        assert result.returncode == 0 and "img0.aec.png" in result.stdout
    assert source.read_bytes() == original
    assert run("decode", tmp_path / "img0.aec", "-d", tmp_path / "out", "--format", "webp").returncode == 0
    assert Image.open(tmp_path / "out" / "img0.webp").format == "WEBP"
    bad = run("decode", tmp_path / "img0.aec", "-o", tmp_path / "x.nope")
    assert bad.returncode == 1 and "unknown output format '.nope'" in bad.stderr
    assert not (tmp_path / "x.nope").exists()


def test_recursive_folders_and_every_readable_format(tmp_path):
    make_images(tmp_path / "in", 1)
    sub = tmp_path / "in" / "sub"
    sub.mkdir()
    formats = ["webp", "tiff"] + (["avif"] if features.check("avif") else [])
    for ext in formats:
        Image.fromarray(synthetic_photo(32, 32)).save(sub / f"pic_{ext}.{ext}")
    (sub / "notes.txt").write_text("not an image")
    flat = run("encode", tmp_path / "in", "-d", tmp_path / "flat")
    assert flat.returncode == 0 and [p.name for p in (tmp_path / "flat").iterdir()] == ["img0.aec"]
    deep = run("encode", "-r", tmp_path / "in", "-d", tmp_path / "deep")
    assert deep.returncode == 0, deep.stderr
    assert sorted(str(p.relative_to(tmp_path / "deep")) for p in (tmp_path / "deep").rglob("*.aec")) == sorted(
        ["img0.aec"] + [f"sub/pic_{ext}.aec" for ext in formats])


INFO_WITHOUT_TORCH = """
import sys
from aecodec.cli import main
code = main(sys.argv[1:])
assert "torch" not in sys.modules, "torch was imported"
sys.exit(code)
"""


def test_info_one_line_per_file_json_checksum_and_no_torch(tmp_path):
    make_images(tmp_path, 2)
    assert run("encode", tmp_path, "-d", tmp_path).returncode == 0
    good = sorted(tmp_path.glob("*.aec"))
    truncated = tmp_path / "cut.aec"
    truncated.write_bytes(good[0].read_bytes()[:-20])
    result = subprocess.run([sys.executable, "-c", INFO_WITHOUT_TORCH, "info", *map(str, good), str(truncated)],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all("64x48 RGB" in line and "checksum ok" in line for line in lines)
    assert "cut.aec" in result.stderr and "checksum" in result.stderr
    as_json = subprocess.run([sys.executable, "-c", INFO_WITHOUT_TORCH, "info", "--json", *map(str, good)],
                             capture_output=True, text=True)
    assert as_json.returncode == 0, as_json.stderr
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(p) for p in good]
    assert all(r["width"] == 64 and r["height"] == 48 and r["file_size"] > 0 for r in records)


def run_on_terminal(*args):
    """Runs the command line with stderr on a pseudo-terminal; returns (exit code, stdout, terminal text)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    process = subprocess.Popen([sys.executable, "-m", "aecodec", *map(str, args)], stdout=subprocess.PIPE,
                               stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.stdout.read().decode()
    process.wait()
    os.close(master)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_per_file_and_per_refined_image(tmp_path):
    make_images(tmp_path / "in", 2)
    code, stdout, terminal = run_on_terminal("encode", tmp_path / "in", "-d", tmp_path / "out", "-e", "1")
    assert code == 0 and len(stdout.splitlines()) == 2
    assert "2/2" in terminal and "file" in terminal  # the bar over files
    assert "img0.png: refining" in terminal and "step" in terminal  # the refinement steps of each image
    code, _, terminal = run_on_terminal("encode", tmp_path / "in", "-d", tmp_path / "quiet", "--quiet")
    assert code == 0 and terminal == ""


def test_decoding_many_files_goes_on_after_a_hostile_alpha_plane(tmp_path):
    """An ALPH PNG claiming 20000x20000 once ended a multi-file decode with a traceback."""
    from test_api import _with_alpha_size

    rgba = Image.fromarray(synthetic_photo(24, 40, seed=12)).convert("RGBA")
    good = aecodec.encode(rgba, quality=50)
    (tmp_path / "a_bomb.aec").write_bytes(_with_alpha_size(good, 20000, 20000))
    (tmp_path / "b_good.aec").write_bytes(good)
    result = run("decode", tmp_path / "a_bomb.aec", tmp_path / "b_good.aec", "-d", tmp_path / "out")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "a_bomb.aec: alpha plane is a 20000x20000 PNG" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b_good.png"]


def _read_fifo(path: Path, into: list) -> threading.Thread:
    """A thread that reads the FIFO ``path`` to its end into ``into`` (it waits for a writer)."""
    def read():
        with open(path, "rb") as f:
            into.append(f.read())

    reader = threading.Thread(target=read, daemon=True)  # daemon: a test that fails leaves it waiting
    reader.start()
    return reader


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_devices_are_written_into_never_replaced(tmp_path):
    (source,) = make_images(tmp_path, 1)
    assert run("encode", source, "-o", tmp_path / "x.aec").returncode == 0
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused = run("encode", source, "-o", fifo)  # an existing path: --force, as for files
    assert refused.returncode == 1 and "exists (use --force" in refused.stderr
    received = []
    reader = _read_fifo(fifo, received)
    result = run("encode", source, "-o", fifo, "--force")
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received == [(tmp_path / "x.aec").read_bytes()]
    assert stat.S_ISFIFO(fifo.stat().st_mode) and leftovers(tmp_path) == []
    for command, encoded in (("encode", source), ("decode", tmp_path / "x.aec")):
        result = run(command, encoded, "-o", os.devnull)  # timing runs: /dev/null needs no --force
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def _palette_image(path: Path) -> None:
    Image.fromarray(synthetic_photo(32, 32)).convert("P").save(path)


def test_warnings_are_one_line_per_file_and_quiet_silences_them(tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png"):
        _palette_image(tmp_path / "in" / name)
    result = run("encode", tmp_path / "in", "-d", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"aecodec: warning: {tmp_path / 'in' / name}: mode P is converted to RGB for encoding"
        for name in ("a.png", "b.png")]
    quiet = run("encode", tmp_path / "in", "-d", tmp_path / "quiet", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and len(list((tmp_path / "quiet").iterdir())) == 2


def test_output_path_errors_name_the_output_and_the_reason(tmp_path):
    (source,) = make_images(tmp_path, 1)
    blocker = tmp_path / "gray.png"
    blocker.write_bytes(b"a file, not a folder")
    for option, target in (("-o", blocker / "x.aec"), ("-d", blocker)):
        result = run("encode", source, option, target)
        shown = target if option == "-o" else blocker / "img0.aec"
        assert result.returncode == 1
        assert result.stderr == f"aecodec: error: {shown}: cannot create folder: {blocker} is not a folder\n"
    if Path("/proc/self").is_dir():  # procfs takes no new files, not even as root
        result = run("encode", source, "-o", "/proc/x.aec")
        assert result.returncode == 1 and result.stderr.startswith("aecodec: error: /proc/x.aec: cannot write: ")
        assert ".tmp" not in result.stderr and "Errno" not in result.stderr
    assert leftovers(tmp_path) == []


def test_max_pixels_is_checked_on_the_header_before_decoding(tmp_path):
    (tmp_path / "bomb.png").write_bytes(png_claiming_size(10000, 9000))
    result = run("encode", tmp_path / "bomb.png")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "10000x9000 image (90000000 pixels) is above the limit of 89478485 pixels" in result.stderr
    assert "--max-pixels 90000000" in result.stderr and "MAX_IMAGE_PIXELS" not in result.stderr
    (source,) = make_images(tmp_path, 1)  # 64x48: 3072 pixels
    assert run("encode", source, "--max-pixels", "3071", "-o", tmp_path / "no.aec").returncode == 1
    assert run("encode", source, "--max-pixels", "3072", "-o", tmp_path / "yes.aec").returncode == 0
    refused = run("decode", tmp_path / "yes.aec", "--max-pixels", "1000", "-o", tmp_path / "no.png")
    assert refused.returncode == 1 and "--max-pixels 3072" in refused.stderr
    assert not (tmp_path / "no.aec").exists() and not (tmp_path / "no.png").exists()
    assert "--max-pixels" in run("encode", "--help").stdout


def test_format_contradicting_the_output_extension_is_a_usage_error(tmp_path):
    (tmp_path / "a.aec").write_bytes(aecodec.encode(synthetic_photo(16, 16), quality=50))
    result = run("decode", tmp_path / "a.aec", "-o", tmp_path / "fmt.png", "--format", "jpg")
    assert result.returncode == 2 and "--format" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "fmt.png").exists()
    same = run("decode", tmp_path / "a.aec", "-o", tmp_path / "fmt.jpeg", "--format", "jpg")
    assert same.returncode == 0, same.stderr
    assert Image.open(tmp_path / "fmt.jpeg").format == "JPEG"


def test_info_on_a_folder_without_aec_files_fails_like_decode(tmp_path):
    for command in ("info", "decode"):
        result = run(command, tmp_path)
        assert result.returncode == 1 and result.stderr == "aecodec: error: no input files\n"


def test_an_unknown_model_is_named_as_asked_for(tmp_path):
    """--model 7 once said "file was made by model id 7"."""
    Image.fromarray(synthetic_photo(32, 32)).save(tmp_path / "a.png")
    result = run("encode", str(tmp_path / "a.png"), "-o", str(tmp_path / "a.aec"), "--model", "7")
    assert result.returncode == 1 and "unknown model 7 (this aecodec knows 1" in result.stderr
    assert "file was made" not in result.stderr and not (tmp_path / "a.aec").exists()


def test_info_on_a_missing_file_is_one_line(tmp_path):
    result = run("info", tmp_path / "absent.aec")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"aecodec: error: {tmp_path / 'absent.aec'}: cannot read: No such file or directory"]

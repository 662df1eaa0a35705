"""bench/batch.py end to end on a few small images: both runs, identical bytes, the results files."""

import json

import pytest
from PIL import Image

from bench.batch import main
from conftest import synthetic_photo

pytest.importorskip("distributed", reason='dask.distributed is not installed (pip install "aecodec[dask]")')


def test_batch_bench_runs_and_writes_results(tmp_path):
    for i in range(3):
        Image.fromarray(synthetic_photo(64, 64, seed=i)).save(tmp_path / f"img{i}.png")
    assert main(["--images", str(tmp_path), "--copies", "2", "--jobs", "2", "--out", str(tmp_path / "res"),
                 "--workdir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "res" / "batch.json").read_text())
    assert result["n_files"] == 6 and result["summary"]["identical_bytes"] is True
    (only_round,) = result["rounds"]
    for kind in ("serial", "jobs"):
        run = only_round[kind]
        assert run["files"] == 6 and len(run["completion_s"]) == 6
        assert 0 < run["first_file_s"] <= run["last_file_s"] < run["wall_s"]
        assert run["steady_images_per_s"] > 0
    assert "--jobs 2" in only_round["jobs"]["command"]
    assert "Output bytes identical between the runs: yes" in (tmp_path / "res" / "batch.md").read_text()
    assert main(["--images", str(tmp_path), "--copies", "2", "--jobs", "2", "--out", str(tmp_path / "res"),
                 "--workdir", str(tmp_path), "--append"]) == 0  # one more round, taken later
    again = json.loads((tmp_path / "res" / "batch.json").read_text())
    assert again["rounds"][0] == only_round and len(again["rounds"]) == 2
    assert again["rounds"][1]["jobs"]["started"] < again["rounds"][1]["serial"]["started"]  # order alternates


def test_stages_profile_each_process_kind_with_its_environment(tmp_path):
    Image.fromarray(synthetic_photo(64, 48, seed=0)).save(tmp_path / "img0.png")
    assert main(["--stages", "--images", str(tmp_path), "--reps", "1", "--out", str(tmp_path / "res")]) == 0
    result = json.loads((tmp_path / "res" / "stages.json").read_text())
    runs = {run["name"]: run["workers"] for run in result["runs"]}
    assert [len(workers) for workers in runs.values()] == [1, 1, 1, 1, 1, 2, 2]
    for name, workers in runs.items():
        for profile in workers:
            # Separate calls, so no order between them under load (a busy CI machine once timed the
            # analysis alone above the whole encode); the file's time adds reading and writing to it.
            assert profile["analysis"] > 0 and 0 < profile["encode"] < profile["file"]
            assert profile["torch_threads"] == (2 if "2 threads" in name else 1)
            trim = profile["environ"].get("MALLOC_TRIM_THRESHOLD_")
            if "plain" in name and "--jobs" not in name:  # as from a shell, whatever ran before in the bench
                assert profile["environ"] == {}
            elif "--jobs" in name:
                assert trim == str(1 << 30) and profile["environ"]["MALLOC_MMAP_THRESHOLD_"] == str(1 << 30)
            else:
                assert trim == "65536"  # Dask's own setting
    assert "| 2 Dask workers at once as --jobs starts them (worker 2) |" in (tmp_path / "res" / "stages.md").read_text()


def test_training_is_detected_by_the_command_not_by_a_mention():
    from bench.sysinfo import is_training_command

    assert is_training_command(["/venv/bin/python3", "/venv/bin/aecodec", "train", "--out", "runs/m2"])
    assert is_training_command(["python", "-m", "aecodec", "train"])
    assert not is_training_command(["python", "-c", "print('aecodec train')"])  # a monitor naming it
    assert not is_training_command(["aecodec", "encode", "train.png"])

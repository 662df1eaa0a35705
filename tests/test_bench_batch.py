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

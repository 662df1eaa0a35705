"""Training: a few real steps, exact resume, periodic evaluation, and a 2-process DDP smoke test."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from aecodec.nn.store import read_metadata
from aecodec.releases import encoder_weights
from aecodec.training.data import PatchSampler, split_holdout, step_batches
from aecodec.training.options import TrainOptions
from aecodec.training.trainer import Trainer, load_new_parts
from conftest import synthetic_photo, training_log


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    for i in range(4):
        Image.fromarray(synthetic_photo(96, 128, seed=20 + i)).save(folder / f"im{i}.png")
    return folder


def options(data, out, steps, **extra):
    base = dict(data=str(data), out=str(out), steps=steps, patch=64, batch=2, n=16, m=24, precision="fp32",
                threads=1, warmup=2, holdout_every=0, compile=False, checkpoint_every_min=1000, eval_every_min=1000)
    base.update(extra)
    return TrainOptions(**base)


def test_patches_have_the_requested_shape(image_folder):
    sampler = PatchSampler(image_folder, patch=64, batch=3, seed=0)
    batch = sampler.sample_batch()
    assert batch.shape == (3, 64, 64, 3) and batch.dtype == np.uint8


def test_a_synthetic_fraction_mixes_smooth_gradients_into_the_photos(image_folder):
    def roughness(patches):  # mean absolute second difference along rows, per patch
        return np.abs(np.diff(patches.astype(np.int64), n=2, axis=2)).mean(axis=(1, 2, 3))

    photos = PatchSampler(image_folder, patch=64, batch=16, seed=0).sample_batch(np.random.default_rng(1))
    mixed = PatchSampler(image_folder, patch=64, batch=16, seed=0, synthetic=0.5).sample_batch(np.random.default_rng(1))
    synthetic = PatchSampler(image_folder, patch=64, batch=16, seed=0, synthetic=1.0).sample_batch(np.random.default_rng(1))
    assert synthetic.shape == photos.shape and synthetic.dtype == np.uint8
    assert roughness(synthetic).max() < 3.5 < roughness(photos).min()
    assert 3 <= (roughness(mixed) < 3.5).sum() <= 13
    spans = synthetic.max(axis=(1, 2)) - synthetic.min(axis=(1, 2))
    assert spans.max() > 100  # ramps, not flat patches


FLIPS = (lambda p: p, lambda p: p[:, ::-1], lambda p: p[::-1], lambda p: p[::-1, ::-1])


def found_in(patch, images, orientations=FLIPS) -> bool:
    """Whether ``patch``, turned one of ``orientations``' ways, appears unchanged in one of the images."""
    for image in images:
        windows = np.lib.stride_tricks.sliding_window_view(image, patch.shape)
        if any((windows == turn(patch)).all(axis=(-3, -2, -1)).any() for turn in orientations):
            return True
    return False


def test_min_scale_one_cuts_patches_at_the_photos_own_scale(image_folder):
    own_scale = PatchSampler(image_folder, patch=32, batch=16, seed=0, min_scale=1.0)
    shrunk = PatchSampler(image_folder, patch=32, batch=16, seed=0)  # default: s drawn in [0.5, 1]
    assert all(found_in(p, own_scale.images) for p in own_scale.sample_batch(np.random.default_rng(3)))
    assert sum(found_in(p, shrunk.images) for p in shrunk.sample_batch(np.random.default_rng(3))) <= 4
    with pytest.raises(ValueError, match="min_scale"):
        PatchSampler(image_folder, patch=32, batch=4, seed=0, min_scale=0)


def test_upright_patches_are_the_same_crops_never_turned_upside_down(image_folder):
    upright = PatchSampler(image_folder, patch=32, batch=16, seed=0, min_scale=1.0, upright=True)
    free = PatchSampler(image_folder, patch=32, batch=16, seed=0, min_scale=1.0)
    kept, turned = upright.sample_batch(np.random.default_rng(5)), free.sample_batch(np.random.default_rng(5))
    as_is_or_mirrored = FLIPS[:2]
    assert all(found_in(p, upright.images, as_is_or_mirrored) for p in kept)
    assert not all(found_in(p, free.images, as_is_or_mirrored) for p in turned)
    # the same crops either way (each flip is drawn whether or not it is applied), so forks stay comparable
    assert all((k == t).all() or (k == t[::-1]).all() for k, t in zip(kept, turned))


def test_prefetching_workers_give_the_same_batches_in_order(image_folder):
    sampler = PatchSampler(image_folder, patch=32, batch=2, seed=0)

    def batch_for_step(step):
        return sampler.sample_batch(np.random.default_rng([0, step]))

    inline = step_batches(batch_for_step, 7, workers=0)
    prefetched = step_batches(batch_for_step, 7, workers=3)
    first = [(next(inline), next(prefetched)) for _ in range(10)]
    prefetched.close()
    assert all(np.array_equal(a, b) for a, b in first)
    assert not np.array_equal(first[0][0], first[1][0])  # consecutive steps get different data


def test_holdout_split_is_disjoint():
    files = [f"f{i}" for i in range(25)]
    train, held = split_holdout(files, 10)
    assert held == ["f9", "f19"] and set(train).isdisjoint(held) and len(train) == 23


def test_resume_is_exact(image_folder, tmp_path):
    Trainer(options(image_folder, tmp_path / "straight", 4)).run()
    Trainer(options(image_folder, tmp_path / "split", 2)).run()
    Trainer(options(image_folder, tmp_path / "split", 4, resume=True)).run()
    straight = load_file(tmp_path / "straight" / "weights.safetensors")
    split = load_file(tmp_path / "split" / "weights.safetensors")
    for name in straight:
        torch.testing.assert_close(split[name], straight[name], rtol=0, atol=0)
    log = training_log(tmp_path / "split")
    assert any(r.get("event") == "resumed" for r in log) and log[-1]["step"] == 4


def test_balanced_levels_resume_exactly(image_folder, tmp_path):
    """--balance-levels: the running per-level losses travel in the checkpoint, so a resumed run weighs its
    patches as an unbroken one does."""
    Trainer(options(image_folder, tmp_path / "straight", 6, balance_levels=True)).run()
    Trainer(options(image_folder, tmp_path / "split", 3, balance_levels=True)).run()
    resumed = Trainer(options(image_folder, tmp_path / "split", 6, resume=True, balance_levels=True))
    assert not torch.isnan(resumed.balance.log_loss).all()
    resumed.run()
    straight = load_file(tmp_path / "straight" / "weights.safetensors")
    split = load_file(tmp_path / "split" / "weights.safetensors")
    for name in straight:
        torch.testing.assert_close(split[name], straight[name], rtol=0, atol=0)
    assert training_log(tmp_path / "straight")[0]["options"]["balance_levels"] is True


def test_resume_takes_this_runs_learning_rate_scales(image_folder, tmp_path):
    """A checkpoint's optimizer state keeps its moments, but the run's own --context-lr-scale applies."""
    small = dict(model="context", n=16, m=192)
    Trainer(options(image_folder, tmp_path / "run", 2, context_lr_scale=100.0, **small)).run()
    trainer = Trainer(options(image_folder, tmp_path / "run", 3, resume=True, context_lr_scale=10.0, **small))
    assert trainer.step == 2
    scales = {group["name"]: group["lr_scale"] for group in trainer.optimizer.param_groups}
    assert scales["context"] == 10.0 and scales["transforms"] == 1.0
    assert trainer.optimizer.state  # the moments came back with the checkpoint


def test_a_conditioned_synthesis_joins_a_running_model_and_stays(image_folder, tmp_path):
    """--conditioned-synthesis on a checkpoint without one: the run goes on from its step with its Adam moments,
    the new scales start neutral (the same objective) and learn; resuming without the option keeps them."""
    small = dict(model="context", n=16, m=192)
    Trainer(options(image_folder, tmp_path / "run", 3, **small)).run()
    plain = Trainer(options(image_folder, tmp_path / "run", 3, resume=True, **small))
    trainer = Trainer(options(image_folder, tmp_path / "run", 6, resume=True, conditioned_synthesis=True,
                              modulation_lr_scale=30.0, **small))
    assert trainer.step == 3 and trainer.model.config.conditioned_synthesis
    assert {g["name"]: g["lr_scale"] for g in trainer.optimizer.param_groups}["modulation"] == 30.0
    assert _objective(trainer, image_folder) == pytest.approx(_objective(plain, image_folder), rel=1e-6)
    names = [group["name"] for group in trainer.optimizer.param_groups]
    assert names[-1] == "modulation" and len(trainer.optimizer.state) == len(plain.optimizer.state)
    trainer.run()
    weights = load_file(tmp_path / "run" / "weights.safetensors")
    assert weights["synthesis_modulation.log_scale"].abs().max() > 0
    again = Trainer(options(image_folder, tmp_path / "run", 7, resume=True, **small))
    assert again.model.config.conditioned_synthesis and again.step == 6
    torch.testing.assert_close(again.model.synthesis_modulation.log_scale,
                               trainer.model.synthesis_modulation.log_scale, rtol=0, atol=0)
    with pytest.raises(ValueError, match="does not fit"):
        load_new_parts(plain.model, {k: v for k, v in plain.model.state_dict().items() if k != "g_s.0.weight"})


def test_a_conditioned_analysis_joins_a_conditioned_synthesis_run_and_stays(image_folder, tmp_path):
    """--conditioned-analysis on a checkpoint with a conditioned synthesis: a group of its own after the others,
    the same objective at the start, every moment already there kept; it learns and stays on resuming."""
    small = dict(model="context", n=16, m=192)
    Trainer(options(image_folder, tmp_path / "run", 3, conditioned_synthesis=True, **small)).run()
    before = Trainer(options(image_folder, tmp_path / "run", 3, resume=True, **small))
    trainer = Trainer(options(image_folder, tmp_path / "run", 6, resume=True, conditioned_analysis=True, **small))
    assert trainer.model.config.conditioned_synthesis and trainer.model.config.conditioned_analysis
    names = [group["name"] for group in trainer.optimizer.param_groups]
    assert names[-2:] == ["modulation", "analysis_modulation"]
    assert len(trainer.optimizer.state) == len(before.optimizer.state)
    assert _objective(trainer, image_folder) == pytest.approx(_objective(before, image_folder), rel=1e-6)
    trainer.run()
    assert load_file(tmp_path / "run" / "weights.safetensors")["analysis_modulation.log_scale"].abs().max() > 0
    again = Trainer(options(image_folder, tmp_path / "run", 7, resume=True, **small))
    assert again.model.config.conditioned_analysis and again.step == 6
    torch.testing.assert_close(again.model.analysis_modulation.shift, trainer.model.analysis_modulation.shift,
                               rtol=0, atol=0)


def _objective(trainer: Trainer, image_folder) -> float:
    """The training loss of the trainer's model on fixed patches, levels and noise."""
    from aecodec.nn.objective import rate_distortion_loss

    sampler = PatchSampler(image_folder, 64, 8, seed=0)
    x = torch.from_numpy(sampler.sample_batch(np.random.default_rng(123))).permute(0, 3, 1, 2).float().div(255)
    level = torch.linspace(0, trainer.model.num_levels - 1, x.shape[0])
    torch.manual_seed(7)
    with torch.no_grad():
        out = trainer.model(x.contiguous(memory_format=torch.channels_last), level)
        return float(rate_distortion_loss(out, x, trainer.model.lambdas_at(level))["loss"])


def test_init_weights_carry_the_training_clocks_on(image_folder, tmp_path):
    Trainer(options(image_folder, tmp_path / "first", 30)).run()
    first = read_metadata(tmp_path / "first" / "weights.safetensors")
    assert float(first["train_cpu_seconds"]) > 0
    start = str(tmp_path / "first" / "weights.safetensors")
    Trainer(options(image_folder, tmp_path / "second", 32, init_weights=start)).run()
    second = read_metadata(tmp_path / "second" / "weights.safetensors")
    assert int(second["steps"]) == 32  # 2 steps of its own: its clocks go on from the first run's
    assert float(second["train_cpu_seconds"]) >= float(first["train_cpu_seconds"])
    # The clocks are rounded to 0.1 s and two steps may take less: "not reset" is >=, not >.
    assert float(second["train_seconds"]) >= float(first["train_seconds"]) > 0


def test_training_lowers_the_loss_and_evaluates(image_folder, tmp_path):
    trainer = Trainer(options(image_folder, tmp_path / "run", 40, lr=1e-3, eval_dir=str(image_folder)))
    before = _objective(trainer, image_folder)
    trainer.run()
    after = _objective(trainer, image_folder)
    assert after < 0.8 * before, (before, after)
    log = training_log(tmp_path / "run")
    evaluation = [r for r in log if r.get("event") == "eval"][-1]["rd"]
    assert len(evaluation) == 4 and all(r["bpp"] > 0 and r["psnr"] > 5 for r in evaluation)


def test_ste_rate_proxy_trains_and_is_logged(image_folder, tmp_path):
    Trainer(options(image_folder, tmp_path / "ste", 6, lr=1e-3, rate_proxy="ste")).run()
    log = training_log(tmp_path / "ste")
    assert log[0]["options"]["rate_proxy"] == "ste"
    assert log[-1]["step"] == 6 and (tmp_path / "ste" / "weights.safetensors").exists()


def test_time_limit_stops_the_run(image_folder, tmp_path):
    Trainer(options(image_folder, tmp_path / "timed", 10_000, minutes=0.0005)).run()
    log = training_log(tmp_path / "timed")
    assert log[-1]["event"] == "stopped" and "time limit" in log[-1]["reason"]
    assert 1 <= log[-1]["step"] < 10_000
    assert (tmp_path / "timed" / "weights.safetensors").exists()


@pytest.mark.skipif(shutil.which("torchrun") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "torchrun")), reason="torchrun not installed")
def test_ddp_smoke(image_folder, tmp_path):
    torchrun = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    result = subprocess.run(
        [torchrun, "--nproc_per_node=2", "--master_port=29533", "-m", "aecodec", "train", "--data", str(image_folder),
         "--out", str(tmp_path / "ddp"), "--steps", "1000", "--minutes", "0.0005", "--patch", "64", "--batch", "8",
         "--channels", "16", "--latent-channels", "24",
         "--precision", "fp32", "--holdout-every", "0", "--no-compile"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    log = training_log(tmp_path / "ddp")
    assert log[0]["world"] == 2
    assert log[-1]["event"] == "stopped" and log[-1]["step"] == 20  # both processes stopped at the same step
    assert (tmp_path / "ddp" / "weights.safetensors").exists()
    # The run's training clock counts both processes: about twice one process's CPU time for the same 20 steps
    # of the same per-process batch (CPU time, so a busy machine moves both alike).
    Trainer(options(image_folder, tmp_path / "single", 20, batch=8)).run()
    single = training_log(tmp_path / "single")
    assert single[-1]["step"] == 20
    assert log[-1]["cpu_s"] > 1.6 * single[-1]["cpu_s"], (log[-1], single[-1])


def test_compiled_training_step(image_folder, tmp_path):
    Trainer(options(image_folder, tmp_path / "compiled", 2, compile=True)).run()
    assert (tmp_path / "compiled" / "weights.safetensors").exists()


def _latent_bits(model, x, level):
    torch.manual_seed(0)
    with torch.no_grad():
        return float(-torch.log2(model.context_rate_forward(x, level, "noise")["y_likelihood"]).sum())


def test_context_stage_trains_only_the_context_on_rate(image_folder, tmp_path):
    weights = encoder_weights(2)  # model 2's development weights: a real latent to predict
    start = int(read_metadata(weights)["steps"])
    opts = options(image_folder, tmp_path / "ctx", start + 30, model="context", n=128, m=192, stage="context",
                   init_weights=str(weights), lr=1e-5, context_lr_scale=100.0)
    trainer = Trainer(opts)
    x = torch.from_numpy(trainer_batch(image_folder)).permute(0, 3, 1, 2).float() / 255
    level = torch.tensor([0.0, 5.0])
    before_state = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    before_bits = _latent_bits(trainer.model, x, level)
    trainer.run()
    after_state = trainer.model.state_dict()
    changed = {k for k, v in after_state.items() if not torch.equal(v, before_state[k])}
    assert changed and all(k.startswith("contexts.") for k in changed), sorted(changed)
    assert _latent_bits(trainer.model, x, level) < 0.995 * before_bits
    log = training_log(tmp_path / "ctx")
    assert [r for r in log if r.get("event") == "start"][0]["options"]["stage"] == "context"


def test_balanced_levels_need_the_joint_stage(image_folder, tmp_path):
    with pytest.raises(ValueError, match="balance-levels"):
        Trainer(options(image_folder, tmp_path / "run", 1, model="context", m=192, stage="context",
                        balance_levels=True))


def test_context_stage_needs_model_2(image_folder, tmp_path):
    with pytest.raises(ValueError, match="--model context"):
        Trainer(options(image_folder, tmp_path / "bad", 1, stage="context"))


def trainer_batch(folder):
    return PatchSampler(folder, 64, 2, seed=5).sample_batch(np.random.default_rng(5))

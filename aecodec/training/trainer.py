"""The training loop of ``aecodec train``: rate-distortion loss over a range of lambdas.

One process by default; under ``torchrun`` it trains data-parallel (DDP, gloo on CPU, nccl on GPU).
Full checkpoints (model, EMA, optimizer, step) go to ``out/checkpoint.pt`` every few minutes, and the
EMA weights to ``out/weights.safetensors`` (fp16), which is what gets shipped.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import shutil
import signal
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from aecodec.hardware import cpu_has_bf16_instructions
from aecodec.metrics import psnr_of_mse
from aecodec.nn.context_model import ContextModel, ContextModelConfig
from aecodec.nn.model import HyperpriorModel, ModelConfig
from aecodec.nn.objective import latent_rate_loss, rate_distortion_loss
from aecodec.nn.store import load_weights, read_metadata, save_weights
from aecodec.training.balance import LevelBalance
from aecodec.training.data import PatchSampler, step_batches
from aecodec.training.evaluate import evaluate_folder
from aecodec.training.levels import extend_checkpoint, extend_state
from aecodec.training.options import TrainOptions


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but torch sees no CUDA device")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> str:
    """bf16 autocast where the hardware runs it fast (CPUs with AVX512-BF16 or AMX, any recent GPU), else fp32."""
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_bf16_instructions() else "fp32"


GAIN_LR_SCALE = 5.0  # the few gain parameters must travel far; a larger step gets them there sooner
# What a model may gain over the weights or checkpoint it starts from: parts that start neutral.
NEW_PARTS = ("contexts.", "synthesis_modulation.", "analysis_modulation.")


def build_model(options: TrainOptions, stored: dict | None = None) -> HyperpriorModel:
    """The model ``options`` ask for. ``stored``: the config of the weights it starts from, whose widths (and
    model 2's slices) win over ``--channels``/``--latent-channels``, so that a widened model trains on."""
    if options.model not in ("hyperprior", "context"):
        raise ValueError(f"model must be 'hyperprior' or 'context', got {options.model!r}")
    n, m = (int(stored["n"]), int(stored["m"])) if stored else (options.n, options.m)
    # A conditioned synthesis or analysis, once there, stays; the options add one to weights without it.
    conditioned = {key: getattr(options, key) or bool(stored and stored.get(key))
                   for key in ("conditioned_synthesis", "conditioned_analysis")}
    if options.model == "context":  # the levels stay this run's: fewer stored ones are extended on loading
        slices = ({"slices": tuple(stored["slices"]), "width": int(stored["width"])}
                  if stored and "slices" in stored else {})
        return ContextModel(ContextModelConfig(n=n, m=m, **conditioned, **slices))
    return HyperpriorModel(ModelConfig(n=n, m=m, **conditioned))


def build_optimizer(model: HyperpriorModel, lr: float, context_lr_scale: float = 1.0,
                    modulation_lr_scale: float = 10.0) -> torch.optim.Adam:
    """Adam with the gain vectors, model 2's context networks and a conditioned synthesis's and analysis's
    per-level scales in groups of their own learning rates.

    The group named "transforms" holds model 1's parts (frozen at the start of a context-first run). New groups
    go last, so that a checkpoint saved without them resumes (``_restore``).
    """
    context = model.context_parameters() if isinstance(model, ContextModel) else []
    modulation = model.modulation_parameters()
    analysis_modulation = model.analysis_modulation_parameters()
    special = {id(p) for p in [*model.gain_parameters(), *context, *modulation, *analysis_modulation]}
    rest = [p for p in model.parameters() if id(p) not in special]
    groups = [
        {"params": rest, "lr_scale": 1.0, "name": "transforms"},
        {"params": model.gain_parameters(), "lr_scale": GAIN_LR_SCALE, "name": "gains"},
    ]
    if context:
        groups.append({"params": context, "lr_scale": context_lr_scale, "name": "context"})
    if modulation:
        groups.append({"params": modulation, "lr_scale": modulation_lr_scale, "name": "modulation"})
    if analysis_modulation:
        groups.append({"params": analysis_modulation, "lr_scale": modulation_lr_scale, "name": "analysis_modulation"})
    return torch.optim.Adam(groups, lr=lr)


def load_new_parts(model: HyperpriorModel, state: dict, source: str = "the checkpoint") -> None:
    """Loads ``state`` into ``model``, which may have parts the state lacks if they start neutral (``NEW_PARTS``:
    model 2's context networks over model 1's weights, a conditioned synthesis or analysis over weights without
    one)."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not name.startswith(NEW_PARTS) for name in missing):
        raise ValueError(f"{source} does not fit this model: missing {missing}, unexpected {unexpected}")


def with_new_groups(saved: dict, optimizer: torch.optim.Optimizer) -> dict:
    """``saved`` (an optimizer state dict) extended by the groups ``optimizer`` has beyond it, with no state yet
    (their parameters are parts new to this run, see ``load_new_parts``)."""
    current = optimizer.state_dict()["param_groups"]
    groups = [dict(group) for group in saved["param_groups"]]
    if [g["name"] for g in groups] != [g["name"] for g in current[:len(groups)]]:
        raise ValueError(f"the checkpoint's optimizer groups {[g['name'] for g in groups]} do not fit this model's "
                         f"{[g['name'] for g in current]}")
    next_id = sum(len(group["params"]) for group in groups)
    for group in current[len(groups):]:
        count = len(group["params"])
        groups.append({**group, "params": list(range(next_id, next_id + count))})
        next_id += count
    return {"state": saved["state"], "param_groups": groups}


class Trainer:
    def __init__(self, options: TrainOptions):
        self.opt = options
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        self.device = resolve_device(options.device)
        if self.distributed:
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend)
            self.rank, self.world = dist.get_rank(), dist.get_world_size()
            if self.device.type == "cuda":
                self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(self.device)
        else:
            self.rank, self.world = 0, 1
        if options.threads:
            torch.set_num_threads(options.threads)
        elif self.distributed and self.device.type == "cpu":
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // self.world))
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        self.precision = resolve_precision(options.precision, self.device)
        self.out = Path(options.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.checkpoint_path = self.out / "checkpoint.pt"
        self.log_path = self.out / "train_log.jsonl"

        torch.manual_seed(options.seed)
        checkpoint = (torch.load(self.checkpoint_path, map_location=self.device, weights_only=False)
                      if options.resume and self.checkpoint_path.exists() else None)
        self.model = build_model(options, self._stored_config(checkpoint))
        self.step = 0
        self.elapsed = 0.0  # training seconds accumulated over all runs
        self.cpu_seconds = 0.0  # CPU seconds of this model's training steps (fair across pauses and busy cores)
        self.model.to(self.device).to(memory_format=torch.channels_last)
        self.ema = copy.deepcopy(self.model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.optimizer = build_optimizer(self.model, options.lr, options.context_lr_scale, options.modulation_lr_scale)
        self.balance = LevelBalance(self.model.num_levels) if options.balance_levels else None
        self._restore(checkpoint)
        self.ddp_model = (
            torch.nn.parallel.DistributedDataParallel(self.model) if self.distributed else self.model
        )
        if options.stage not in ("joint", "context"):
            raise ValueError(f"stage must be 'joint' or 'context', got {options.stage!r}")
        if options.stage == "context" and not isinstance(self.model, ContextModel):
            raise ValueError("--stage context trains model 2's context networks: use it with --model context")
        if options.stage == "context" and options.balance_levels:
            raise ValueError("--balance-levels weighs rate and distortion per level; the context stage trains on "
                             "rate alone")
        if options.stage == "context" and self.distributed:
            raise ValueError("--stage context runs in one process")
        if options.stage == "context":
            context = {id(p) for p in self.model.context_parameters()}
            for p in self.model.parameters():
                p.requires_grad_(id(p) in context)
        step_fn = self.model.context_rate_forward if options.stage == "context" else self.ddp_model
        self.forward = torch.compile(step_fn) if options.compile else step_fn

    def log(self, record: dict) -> None:
        if self.rank != 0:
            return
        record = {"step": self.step, "elapsed_s": round(self.elapsed, 1), "cpu_s": round(self.cpu_seconds, 1),
                  **record}
        with open(self.log_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        tqdm.write(json.dumps(record))

    def _stored_config(self, checkpoint: dict | None) -> dict | None:
        """The architecture of what this run continues: the checkpoint's, else the --init-weights file's."""
        if checkpoint is not None:
            return checkpoint.get("config")
        if self.opt.init_weights:
            return json.loads(read_metadata(self.opt.init_weights)["config"])
        return None

    def _restore(self, state: dict | None) -> None:
        """Continues the checkpoint ``state`` (--resume), else starts from --init-weights, if given."""
        if state is not None:
            lambdas = self.model.config.lambdas
            if state["model"]["lambdas"].numel() != len(lambdas):
                state = extend_checkpoint(state, lambdas)
                self.log({"event": "levels extended", "lambdas": list(lambdas)})
            load_new_parts(self.model, state["model"])
            load_new_parts(self.ema, state["ema"])
            scales = {group["name"]: group["lr_scale"] for group in self.optimizer.param_groups}
            self.optimizer.load_state_dict(with_new_groups(state["optimizer"], self.optimizer))
            for group in self.optimizer.param_groups:  # the options of this run, not the checkpoint's
                group["lr_scale"] = scales[group["name"]]
            self.step, self.elapsed = state["step"], state["elapsed"]
            self.cpu_seconds = state.get("cpu_seconds", 0.0)
            if self.balance is not None and "level_balance" in state:
                self.balance.load_state_dict(state["level_balance"])
            self.log({"event": "resumed", "from": str(self.checkpoint_path)})
        elif self.opt.init_weights:
            model, meta = load_weights(self.opt.init_weights)
            weights = model.state_dict()
            if model.num_levels != self.model.num_levels:
                weights = extend_state(weights, self.model.config.lambdas)
                self.log({"event": "levels extended", "lambdas": list(self.model.config.lambdas)})
            # Model 2 starts from model 1's weights: only its (zero-initialised) context part is new.
            load_new_parts(self.model, weights, self.opt.init_weights)
            self.ema.load_state_dict(self.model.state_dict())
            self.step = int(meta.get("steps", 0))
            self.elapsed = float(meta.get("train_seconds", 0.0))
            # The CPU clock is this model's own: model-2 weights carry it on, model 1's weights have none.
            self.cpu_seconds = float(meta.get("train_cpu_seconds", 0.0))
            self.log({"event": "initialized", "from": self.opt.init_weights})

    def save(self) -> None:
        if self.rank != 0:
            return
        state = {
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "cpu_seconds": self.cpu_seconds,
            "options": asdict(self.opt),
            "config": self.model.config.to_dict(),
            **({"level_balance": self.balance.state_dict()} if self.balance is not None else {}),
        }
        tmp = self.checkpoint_path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_path)
        weights = self.out / "weights.safetensors"
        save_weights(
            copy.deepcopy(self.ema).cpu().to(memory_format=torch.contiguous_format),
            weights,
            {"steps": self.step, "train_seconds": round(self.elapsed, 1),
             "train_cpu_seconds": round(self.cpu_seconds, 1), "precision": self.precision,
             "device": self.device.type, "patch": self.opt.patch, "batch": self.opt.batch * self.world},
        )
        if self.opt.keep_snapshots:  # for comparing runs at equal training time afterwards
            snapshots = self.out / "snapshots"
            snapshots.mkdir(exist_ok=True)
            shutil.copyfile(weights, snapshots / f"weights-{self.step:07d}.safetensors")

    def evaluate(self) -> None:
        if self.rank != 0 or not self.opt.eval_dir:
            return
        model = copy.deepcopy(self.ema).cpu().float().to(memory_format=torch.contiguous_format)
        # The lowest level, and lambda 0.0018 / 0.018 / 0.18 (comparable across runs with more low levels).
        top = float(self.model.num_levels - 1)
        levels = sorted({0.0, *(max(0.0, top - d) for d in (7.0, 3.5, 0.0))})
        results = evaluate_folder(model, self.opt.eval_dir, levels)
        self.log({"event": "eval", "folder": self.opt.eval_dir,
                  "rd": [{k: round(v, 4) for k, v in r.items()} for r in results]})

    def _time_is_up(self, deadline: float) -> bool:
        if deadline == math.inf:
            return False
        if not self.distributed:
            return self.elapsed >= deadline
        # Every process must stop at the same step, or the others wait forever in their next all-reduce.
        if self.step % 20:
            return False
        flag = torch.tensor([float(self.elapsed >= deadline)], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def learning_rate(self) -> float:
        lr = self.opt.lr * min(1.0, (self.step + 1) / max(1, self.opt.warmup))
        if self.opt.decay_at and self.step >= self.opt.decay_at:
            lr *= 0.1
        return lr

    @torch.no_grad()
    def update_ema(self) -> None:
        decay = min(self.opt.ema_decay, (1 + self.step) / (10 + self.step))
        for ema_p, p in zip(self.ema.parameters(), self.model.parameters()):
            ema_p.lerp_(p, 1 - decay)

    def batch_for_step(self, sampler: PatchSampler, step: int) -> np.ndarray:
        # Seeding by step makes the data of every step independent of where a run was resumed.
        return sampler.sample_batch(np.random.default_rng([self.opt.seed, step, self.rank]))

    def run(self) -> None:
        opt = self.opt
        sampler = PatchSampler(opt.data, opt.patch, opt.batch, seed=opt.seed, holdout_every=opt.holdout_every,
                               synthetic=opt.synthetic, min_scale=opt.min_scale, upright=opt.upright)
        self.log({"event": "start", "device": str(self.device), "precision": self.precision,
                  "threads": torch.get_num_threads(), "world": self.world, "images": len(sampler.images),
                  "options": asdict(opt)})
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")
        last_save = last_eval = time.time()
        stop_requested = []
        if self.rank == 0:
            # SIGTERM (kill, end of a session) saves a checkpoint instead of losing the minutes since the last one.
            signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))
        progress = tqdm(total=opt.steps, initial=self.step, disable=self.rank != 0, dynamic_ncols=True)
        running: dict[str, float] = {}
        self.ddp_model.train()
        deadline = self.elapsed + opt.minutes * 60 if opt.minutes else math.inf
        # On a GPU, worker threads cut the next batches while the GPU runs this one; on a CPU the
        # cores are busy with the model, so batches are cut in line.
        workers = min(8, os.cpu_count() or 1) if self.device.type == "cuda" else 0
        batches = step_batches(functools.partial(self.batch_for_step, sampler), self.step, workers)
        while self.step < opt.steps and not self._time_is_up(deadline) and not stop_requested:
            started, cpu_started = time.time(), time.process_time()
            batch = next(batches)
            torch.manual_seed(opt.seed * 1_000_003 + self.step * 101 + self.rank)
            x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float().div_(255)
            x = x.contiguous(memory_format=torch.channels_last)
            level = torch.rand(x.shape[0], device=self.device) * (self.model.num_levels - 1)
            with autocast:
                out = self.forward(x, level, self.opt.rate_proxy)
            if opt.stage == "context":
                terms = latent_rate_loss(out, x)
            else:
                terms = rate_distortion_loss(out, x, self.model.lambdas_at(level))
            per_sample = terms.pop("per_sample", None)
            objective = terms["loss"]
            if self.balance is not None and per_sample is not None:
                self.balance.update(level, per_sample)
                objective = (self.balance.weights(level) * per_sample).mean()
            for group in self.optimizer.param_groups:
                frozen = group.get("name") == "transforms" and self.step < opt.transforms_from_step
                group["lr"] = 0.0 if frozen else self.learning_rate() * group["lr_scale"]
            self.optimizer.zero_grad(set_to_none=True)
            objective.backward()
            if opt.clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), opt.clip)
            self.optimizer.step()
            self.update_ema()
            self.step += 1
            self.elapsed += time.time() - started
            # Data-parallel ranks each do one rank's share of the same step: the run's CPU time is world times this one's.
            self.cpu_seconds += (time.process_time() - cpu_started) * self.world
            for k, v in terms.items():
                value = float(v.detach())
                running[k] = 0.98 * running.get(k, value) + 0.02 * value
            progress.update(1)
            if self.step % 10 == 0:
                progress.set_postfix(loss=f"{running['loss']:.3f}", bpp=f"{running['bpp']:.3f}",
                                     **({"psnr": f"{psnr_of_mse(max(running['mse'], 1e-10), peak=1.0):.2f}"}
                                        if "mse" in running else {}))
            if self.step % 200 == 0:
                self.log({"event": "train", "loss": round(running["loss"], 4), "bpp": round(running["bpp"], 4),
                          **({"mse": running["mse"]} if "mse" in running else {}), "stage": opt.stage,
                          "lr": self.learning_rate()})
            if time.time() - last_save > opt.checkpoint_every_min * 60:
                self.save()
                last_save = time.time()
            if opt.eval_dir and time.time() - last_eval > opt.eval_every_min * 60:
                self.evaluate()
                last_eval = time.time()
        batches.close()
        self.save()
        if stop_requested:
            self.log({"event": "stopped", "reason": "SIGTERM"})
        elif self.step < opt.steps:
            self.evaluate()
            self.log({"event": "stopped", "reason": f"time limit of {opt.minutes:g} min"})
        else:
            self.evaluate()
            self.log({"event": "done"})
        progress.close()
        if self.distributed:
            # Tearing down while rank 0 still saves and evaluates aborted the other rank now and then
            # ("terminate called without an active exception"): leave together.
            dist.barrier()
            dist.destroy_process_group()

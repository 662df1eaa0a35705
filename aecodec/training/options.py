"""The options of a training run (no torch import, so the command line can read the defaults cheaply)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainOptions:
    data: str
    out: str
    steps: int = 1_000_000
    minutes: float = 0.0  # stop after this much training time in this invocation (0: no limit)
    patch: int = 128
    batch: int = 16
    lr: float = 3e-4
    warmup: int = 500
    decay_at: int = 0  # step from which the learning rate is divided by 10 (0: never)
    clip: float = 1.0
    ema_decay: float = 0.999
    device: str = "auto"
    precision: str = "auto"
    threads: int = 0
    seed: int = 0
    resume: bool = False
    init_weights: str = ""
    eval_dir: str = ""
    eval_every_min: float = 20.0
    checkpoint_every_min: float = 5.0
    holdout_every: int = 10  # every n-th image of --data is left out, for evaluation on unseen photos
    compile: bool = True  # torch.compile the training forward pass (1.4x faster steps here, ~40 s to compile)
    n: int = 128
    m: int = 192
    model: str = "hyperprior"  # "context": model 2 (aecodec.nn.context_model), warm-started from model 1's weights
    context_lr_scale: float = 50.0  # model 2's context networks learn at lr * this (they start from zero)
    transforms_from_step: int = 0  # model 2: model 1's parts stay frozen before this step (context first)
    keep_snapshots: bool = False  # keep a copy of the weights at every checkpoint (OUT/snapshots/)
    stage: str = "joint"  # model 2: "context" trains only the context networks, on rate alone (transforms frozen)
    rate_proxy: str = "noise"  # "ste": likelihoods of the really coded values (fine-tuning; see HyperpriorModel)
    min_scale: float = 0.5  # patches are cut from squares of side patch / s, s in [min_scale, 1], then shrunk
    synthetic: float = 0.0  # fraction of training patches that are smooth synthetic gradients (data.smooth_gradient)
    upright: bool = False  # photo patches are mirrored left-right only, never turned upside down
    balance_levels: bool = False  # weigh each sample by 1 / its level's typical loss (training.balance)
    conditioned_synthesis: bool = False  # per-level channel scales and shifts inside the synthesis (nn.conditioning)
    modulation_lr_scale: float = 10.0  # those per-level scales and shifts learn at lr * this (they start neutral)
    conditioned_analysis: bool = False  # the same inside the analysis (encoder side only; learns at the same lr)

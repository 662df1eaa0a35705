"""The training loop shared by every classic autoencoder."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator

import torch
from tqdm.auto import tqdm

from aecodec.classic.models import Autoencoder


@dataclass
class History:
    """Per-epoch means of the loss parts, and the validation score (mean ``model.score``) if any."""

    train: list[dict[str, float]] = field(default_factory=list)
    val: list[float] = field(default_factory=list)


@contextlib.contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Put ``model`` in eval mode for the block, then restore its previous mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def mean_score(model: Autoencoder, x: torch.Tensor, batch_size: int = 512) -> float:
    """Mean of ``model.score`` over ``x`` in eval mode (reconstruction loss, or -ELBO for the VAE)."""
    with evaluating(model):
        return torch.cat([model.score(b) for b in x.split(batch_size)]).mean().item()


def fit(
    model: Autoencoder,
    x_train: torch.Tensor,
    *,
    epochs: int = 50,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    x_val: torch.Tensor | None = None,
    progress: bool = False,
    desc: str | None = None,
) -> History:
    """Train ``model`` with Adam on ``model.objective`` over shuffled mini-batches of ``x_train``.

    Seeds torch's global generator (used by corruption and reparametrization) and the shuffling
    from ``seed``, so runs are repeatable. ``progress`` shows a tqdm bar over epochs (on stderr).
    """
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    bar = tqdm(range(epochs), desc=desc or model.cfg.type, disable=not progress, leave=False)
    for _ in bar:
        model.train()
        sums: dict[str, float] = {}
        batches = 0
        for idx in torch.randperm(len(x_train), generator=shuffle).split(batch_size):
            terms = model.objective(x_train[idx])
            opt.zero_grad(set_to_none=True)
            terms.total.backward()
            opt.step()
            for k, v in terms.parts.items():
                sums[k] = sums.get(k, 0.0) + v
            batches += 1
        history.train.append({k: v / batches for k, v in sums.items()})
        postfix = {k: f"{v:.3g}" for k, v in history.train[-1].items()}
        if x_val is not None:
            history.val.append(mean_score(model, x_val))
            postfix["val"] = f"{history.val[-1]:.3g}"
        bar.set_postfix(postfix)
    model.eval()
    return history

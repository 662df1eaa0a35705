"""Writes model 2's golden file from the development weights in the package.

    python tests/data/model2/make_golden.py

Model 2's weights are development weights: each time new ones are committed, rerun this so that the
golden file is one those weights wrote. The test (tests/test_context_golden.py) checks that the coded
latent (every value that selects a table) decodes identically with 1 and 2 threads and with fp32 and
bf16 transforms, and matches the hash recorded here.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
QUALITY = 40.0


def latent_hash(latent) -> str:
    return hashlib.sha256(np.ascontiguousarray(latent.numpy(), dtype="<f4").tobytes()).hexdigest()


def main() -> None:
    import aecodec
    from aecodec import container
    from aecodec.engine import CodedLatents

    sample = Path(aecodec.__file__).resolve().parent / "data" / "sample.png"
    image = np.asarray(Image.open(sample).convert("RGB"))[40:190, 16:216]  # 150x200: sides not multiples of 64
    codec = aecodec.Codec(2, precision="fp32", threads=1)
    data = codec.encode(image, quality=QUALITY)
    (HERE / "golden.aec").write_bytes(data)
    parsed = container.parse(data)
    coded = CodedLatents(parsed.sections[container.HYPER_LATENT], parsed.sections[container.LATENT])
    latent, _ = codec.engine.decode_coded_latent(coded, parsed.header.height, parsed.header.width, 1)
    decoded = np.asarray(codec.decode(data), dtype=np.float64)
    psnr = 10 * np.log10(255**2 / np.mean((decoded - image) ** 2))
    record = {"fingerprint": codec.engine.fingerprint, "quality": QUALITY, "bytes": len(data),
              "coded_latent_sha256": latent_hash(latent), "psnr_fp32_db": round(float(psnr), 4)}
    (HERE / "golden.json").write_text(json.dumps(record, indent=1) + "\n")
    Image.fromarray(image).save(HERE / "golden-source.png")
    print(record)


if __name__ == "__main__":
    main()

"""Benchmarks of aecodec: rate-distortion (``bench.rd``) and speed/memory (``bench.speed``)."""

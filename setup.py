"""Declares the one C++ extension, aecodec._core (quantization + rANS coding); metadata is in pyproject.toml."""

from glob import glob

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

core = Pybind11Extension(
    "aecodec._core",
    sorted(glob("csrc/*.cpp")),
    include_dirs=["csrc"],
    cxx_std=17,
    extra_compile_args=["-O3", "-pthread"],
    extra_link_args=["-pthread"],
)

setup(ext_modules=[core], cmdclass={"build_ext": build_ext})

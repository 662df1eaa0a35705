#!/bin/sh
# Builds a copy of the aecodec package whose _core is compiled with AddressSanitizer and UBSan (g++),
# in fuzz/work/sanitized, and prints how to run Python against it. Example:
#   sh fuzz/build_sanitized.sh && eval "$(sh fuzz/build_sanitized.sh --env)" && python fuzz/mutate.py --seconds 600
set -e
cd "$(dirname "$0")/.."
OUT=fuzz/work/sanitized
ENV="LD_PRELOAD='$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libstdc++.so.6)' ASAN_OPTIONS=detect_leaks=0 PYTHONPATH=$PWD/$OUT"
if [ "$1" = "--env" ]; then echo "export $ENV"; exit 0; fi
rm -rf "$OUT" && mkdir -p "$OUT" && cp -r aecodec "$OUT/aecodec" && rm -f "$OUT"/aecodec/_core*.so
SUFFIX=$(python -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
g++ -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -shared -fPIC \
    -std=c++17 -pthread -Icsrc $(python -m pybind11 --includes) csrc/*.cpp -o "$OUT/aecodec/_core$SUFFIX"
echo "built $OUT/aecodec/_core$SUFFIX; run with: $ENV python ..."

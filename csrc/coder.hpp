// Public entry points of the core: the Gaussian conditional (fused quantization) and
// the indexed (per-channel) models. Plain C++; bindings.cpp wraps these for Python.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "scale_grid.hpp"
#include "tables.hpp"

namespace aec {

/// One table per grid scale; each value picks its table from its own scale.
struct GaussianModel {
    std::shared_ptr<const Tables> tables;
    ScaleGrid grid;

    GaussianModel(std::shared_ptr<const Tables> t, const float* grid_values, size_t n);
};

std::vector<uint8_t> encode_gaussian(const GaussianModel& m, const float* y, const float* means,
                                     const float* scales, size_t n, size_t substreams, int threads);
void decode_gaussian(const GaussianModel& m, const uint8_t* data, size_t len, const float* means,
                     const float* scales, size_t n, float* y_hat, int32_t* symbols, int threads);
double bits_gaussian(const GaussianModel& m, const float* y, const float* means, const float* scales, size_t n);
void scale_indexes(const GaussianModel& m, const float* scales, size_t n, int32_t* out);

std::vector<uint8_t> encode_indexed(const Tables& tb, const int32_t* symbols, const int32_t* indexes, size_t n,
                                    size_t substreams, int threads);
void decode_indexed(const Tables& tb, const uint8_t* data, size_t len, const int32_t* indexes, size_t n,
                    int32_t* symbols, int threads);
double bits_indexed(const Tables& tb, const int32_t* symbols, const int32_t* indexes, size_t n);

/// Checks a stream's header and substream lengths for n values (cheap, nothing decoded); returns
/// the substream count. Throws CorruptStream / TruncatedStream like the decoders.
size_t check_stream(const uint8_t* data, size_t len, size_t n);

}  // namespace aec

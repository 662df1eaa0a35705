// Public entry points of the core: the Gaussian conditional (fused quantization) and
// the indexed (per-channel) models. Plain C++; bindings.cpp wraps these for Python.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "scale_grid.hpp"
#include "substream.hpp"
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

/// Decodes one Gaussian stream of n values incrementally: `decode` takes the next values' means and
/// scales (which may depend on the values decoded so far), `finish` checks that all n were decoded and
/// every substream ended exactly. Same tables, quantization and escapes as decode_gaussian, and the same
/// bytes: a stream from encode_gaussian over n values decodes here in any split into calls.
/// The stream bytes are copied; calls are serialized. After an error the decoder refuses further calls.
class GaussianPassDecoder {
public:
    /// Checks the header (CorruptStream / TruncatedStream) and reads every substream's initial states.
    GaussianPassDecoder(std::shared_ptr<const GaussianModel> m, const uint8_t* data, size_t len, size_t n);
    GaussianPassDecoder(const GaussianPassDecoder&) = delete;
    GaussianPassDecoder& operator=(const GaussianPassDecoder&) = delete;

    size_t total() const { return n_; }
    size_t decoded() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return pos_;
    }
    /// Decodes the next `count` values (count <= total() - decoded(), else InvalidInput); their substreams
    /// run on up to `threads` threads.
    void decode(const float* means, const float* scales, size_t count, float* y_hat, int32_t* symbols, int threads);
    /// InvalidInput unless all values were decoded; CorruptStream if a substream has data or state left.
    void finish();

private:
    void check_usable() const;

    std::shared_ptr<const GaussianModel> model_;
    std::vector<uint8_t> data_;
    size_t n_, pos_ = 0;
    std::vector<size_t> begins_;  // K + 1 value indexes: substream k codes [begins_[k], begins_[k + 1])
    std::vector<SubstreamReader> readers_;
    bool failed_ = false, finished_ = false;
    mutable std::mutex mutex_;
};

/// Checks a stream's header and substream lengths for n values (cheap, nothing decoded); returns
/// the substream count. Throws CorruptStream / TruncatedStream like the decoders.
size_t check_stream(const uint8_t* data, size_t len, size_t n);

}  // namespace aec

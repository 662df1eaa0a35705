#include "coder.hpp"

#include <cmath>
#include <string>

#include "stream.hpp"

namespace aec {
namespace {

/// np.rint for float32 (round half to even) without relying on SSE4.1 roundss.
inline float rint_even(float d) {
    float a = std::fabs(d);
    if (a < 8388608.f) a = (a + 8388608.f) - 8388608.f;  // 2^23: adding it rounds to an integer
    return std::copysign(a, d);
}

[[noreturn]] void bad_scale(size_t i) {
    throw InvalidInput("scales[" + std::to_string(i) + "] is NaN");
}

[[noreturn]] void bad_index(size_t i, int32_t t, size_t n) {
    throw InvalidInput("indexes[" + std::to_string(i) + "] = " + std::to_string(t) + " is outside [0, " +
                       std::to_string(n) + ")");
}

inline uint32_t table_of(const ScaleGrid& g, const float* scales, size_t i) {
    const float s = scales[i];
    if (__builtin_expect(s != s, 0)) bad_scale(i);
    return g.index(s);
}

inline int32_t quantize(const float* y, const float* means, size_t i) {
    const float r = rint_even(y[i] - means[i]);
    if (__builtin_expect(!(r >= -2147483648.f && r < 2147483648.f), 0))
        throw InvalidInput("y - means at flat index " + std::to_string(i) + " is not finite or outside int32");
    return static_cast<int32_t>(r);
}

inline uint32_t checked_index(const int32_t* indexes, size_t i, size_t num_tables) {
    const int32_t t = indexes[i];
    if (__builtin_expect(static_cast<uint32_t>(t) >= num_tables, 0)) bad_index(i, t, num_tables);
    return static_cast<uint32_t>(t);
}

struct GaussianSource {
    const ScaleGrid& grid;
    const float *y, *means, *scales;
    void operator()(size_t i, uint32_t& t, int32_t& v) const {
        v = quantize(y, means, i);
        t = table_of(grid, scales, i);
    }
};

struct GaussianSink {
    const ScaleGrid& grid;
    const float *means, *scales;
    float* y_hat;
    int32_t* symbols;
    uint32_t table(size_t i) const { return table_of(grid, scales, i); }
    void put(size_t i, int32_t v) const {
        symbols[i] = v;
        y_hat[i] = static_cast<float>(v) + means[i];
    }
};

struct IndexedSource {
    const int32_t *symbols, *indexes;
    size_t num_tables;
    void operator()(size_t i, uint32_t& t, int32_t& v) const {
        t = checked_index(indexes, i, num_tables);
        v = symbols[i];
    }
};

struct IndexedSink {
    const int32_t* indexes;
    size_t num_tables;
    int32_t* symbols;
    uint32_t table(size_t i) const { return checked_index(indexes, i, num_tables); }
    void put(size_t i, int32_t v) const { symbols[i] = v; }
};

}  // namespace

GaussianModel::GaussianModel(std::shared_ptr<const Tables> t, const float* grid_values, size_t n)
    : tables(std::move(t)), grid(grid_values, n) {
    if (!tables) throw InvalidInput("GaussianModel needs tables");
    if (tables->size() != grid.size())
        throw InvalidTable("scale grid has " + std::to_string(grid.size()) + " entries but there are " +
                           std::to_string(tables->size()) + " tables");
}

std::vector<uint8_t> encode_gaussian(const GaussianModel& m, const float* y, const float* means,
                                     const float* scales, size_t n, size_t substreams, int threads) {
    return encode_stream(*m.tables, GaussianSource{m.grid, y, means, scales}, n, substreams, threads);
}

void decode_gaussian(const GaussianModel& m, const uint8_t* data, size_t len, const float* means,
                     const float* scales, size_t n, float* y_hat, int32_t* symbols, int threads) {
    decode_stream(*m.tables, GaussianSink{m.grid, means, scales, y_hat, symbols}, n, data, len, threads);
}

double bits_gaussian(const GaussianModel& m, const float* y, const float* means, const float* scales, size_t n) {
    double bits = 0;
    for (size_t i = 0; i < n; ++i)
        bits += value_bits(*m.tables, m.tables->info(table_of(m.grid, scales, i)), quantize(y, means, i));
    return bits;
}

void scale_indexes(const GaussianModel& m, const float* scales, size_t n, int32_t* out) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(table_of(m.grid, scales, i));
}

std::vector<uint8_t> encode_indexed(const Tables& tb, const int32_t* symbols, const int32_t* indexes, size_t n,
                                    size_t substreams, int threads) {
    return encode_stream(tb, IndexedSource{symbols, indexes, tb.size()}, n, substreams, threads);
}

void decode_indexed(const Tables& tb, const uint8_t* data, size_t len, const int32_t* indexes, size_t n,
                    int32_t* symbols, int threads) {
    decode_stream(tb, IndexedSink{indexes, tb.size(), symbols}, n, data, len, threads);
}

double bits_indexed(const Tables& tb, const int32_t* symbols, const int32_t* indexes, size_t n) {
    double bits = 0;
    for (size_t i = 0; i < n; ++i) bits += value_bits(tb, tb.info(checked_index(indexes, i, tb.size())), symbols[i]);
    return bits;
}

GaussianPassDecoder::GaussianPassDecoder(std::shared_ptr<const GaussianModel> m, const uint8_t* data, size_t len,
                                         size_t n)
    : model_(std::move(m)), data_(data, data + len), n_(n) {
    if (!model_) throw InvalidInput("GaussianPassDecoder needs a model");
    const std::vector<size_t> off = split_substreams(data_.data(), data_.size(), n);
    const size_t K = off.size() - 1;
    begins_.resize(K + 1);
    readers_.reserve(K);
    for (size_t k = 0; k <= K; ++k) begins_[k] = chunk_begin(n, k, K);
    for (size_t k = 0; k < K; ++k) readers_.emplace_back(data_.data() + off[k], data_.data() + off[k + 1]);
}

void GaussianPassDecoder::check_usable() const {
    if (failed_) throw InvalidInput("this pass decoder stopped at an earlier error");
    if (finished_) throw InvalidInput("this pass decoder is finished");
}

void GaussianPassDecoder::decode(const float* means, const float* scales, size_t count, float* y_hat,
                                 int32_t* symbols, int threads) {
    std::lock_guard<std::mutex> lock(mutex_);
    check_usable();
    if (count > n_ - pos_)
        throw InvalidInput("asked for " + std::to_string(count) + " more values, the stream has " +
                           std::to_string(n_ - pos_) + " of its " + std::to_string(n_) + " left");
    if (count == 0) return;
    const size_t first = pos_, last = pos_ + count;  // values [first, last); sink index = value - first
    // Substreams holding a part of [first, last): k0 .. k1 - 1.
    size_t k0 = 0;
    while (begins_[k0 + 1] <= first) ++k0;
    size_t k1 = k0 + 1;
    while (begins_[k1] < last) ++k1;
    const GaussianSink sink{model_->grid, means, scales, y_hat, symbols};
    try {
        parallel_for(k1 - k0, threads, [&](size_t j) {
            const size_t k = k0 + j;
            const size_t b = std::max(first, begins_[k]), e = std::min(last, begins_[k + 1]);
            readers_[k].decode(*model_->tables, sink, b - first, e - first);
            if (e == begins_[k + 1]) readers_[k].finish();  // its last value: check it now
        });
    } catch (...) {
        failed_ = true;
        throw;
    }
    pos_ = last;
}

void GaussianPassDecoder::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    check_usable();
    if (pos_ != n_)
        throw InvalidInput("finished after " + std::to_string(pos_) + " of the stream's " + std::to_string(n_) +
                           " values");
    finished_ = true;
    for (const SubstreamReader& r : readers_) r.finish();  // also those of no values (n = 0)
}

size_t check_stream(const uint8_t* data, size_t len, size_t n) {
    return split_substreams(data, len, n).size() - 1;
}

}  // namespace aec

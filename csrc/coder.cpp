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

size_t check_stream(const uint8_t* data, size_t len, size_t n) {
    return split_substreams(data, len, n).size() - 1;
}

}  // namespace aec

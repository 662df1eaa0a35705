// 64-bit rANS state with 32-bit renormalization (after ryg_rans/rans64), plus bypass bits.
// Invariant: the state x lies in [kRansL, 2^63). Probability precision P <= 16.
#pragma once
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <vector>

#include "errors.hpp"

namespace aec {

constexpr uint64_t kRansL = 1ull << 31;

inline uint64_t mulhi64(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
}

/// Division-free encoder data for one symbol of one table.
struct EncSymbol {
    uint64_t rcp;       // reciprocal of freq (fixed point)
    uint32_t bias;      // start, or start + 2^P - 1 when freq == 1
    uint16_t cmpl;      // 2^P - freq
    uint8_t shift;      // reciprocal shift
    uint8_t pad = 0;

    static EncSymbol make(uint32_t start, uint32_t freq, int precision) {
        EncSymbol s{};
        s.cmpl = static_cast<uint16_t>((1u << precision) - freq);
        if (freq < 2) {
            s.rcp = ~0ull;
            s.shift = 0;
            s.bias = start + (1u << precision) - 1;
        } else {
            uint32_t sh = 0;
            while (freq > (1u << sh)) ++sh;
            s.rcp = static_cast<uint64_t>(((static_cast<unsigned __int128>(1) << (sh + 63)) + freq - 1) / freq);
            s.shift = static_cast<uint8_t>(sh - 1);
            s.bias = start;
        }
        return s;
    }
};

/// Collects 32-bit words back to front (rANS encodes in reverse).
class WordSink {
public:
    explicit WordSink(size_t capacity) : buf_(capacity), pos_(capacity) {}

    /// Makes room for at least `words` more words.
    void reserve(size_t words) {
        if (pos_ >= words) return;
        size_t used = buf_.size() - pos_;
        size_t cap = std::max(buf_.size() * 2, used + words + 16);
        std::vector<uint32_t> next(cap);
        std::memcpy(next.data() + cap - used, buf_.data() + pos_, used * sizeof(uint32_t));
        buf_.swap(next);
        pos_ = cap - used;
    }
    void put(uint32_t w) { buf_[--pos_] = w; }
    const uint32_t* data() const { return buf_.data() + pos_; }
    size_t size() const { return buf_.size() - pos_; }

private:
    std::vector<uint32_t> buf_;
    size_t pos_;
};

/// Encodes one symbol; the caller guarantees one free word in the sink.
inline void rans_put(uint64_t& x, const EncSymbol& s, int precision, WordSink& out) {
    const uint64_t freq = (1u << precision) - s.cmpl;
    const uint64_t x_max = freq << (63 - precision);
    if (x >= x_max) {
        out.put(static_cast<uint32_t>(x));
        x >>= 32;
    }
    const uint64_t q = mulhi64(x, s.rcp) >> s.shift;
    x = x + s.bias + q * s.cmpl;
}

/// Encodes `nbits` (1..16) raw bits as a symbol of probability 2^-nbits.
inline void rans_put_bits(uint64_t& x, uint32_t bits, int nbits, WordSink& out) {
    if (x >= (1ull << (63 - nbits))) {
        out.put(static_cast<uint32_t>(x));
        x >>= 32;
    }
    x = (x << nbits) | bits;
}

/// Bounds-checked forward reader of 32-bit little-endian words.
class WordSource {
public:
    WordSource(const uint8_t* begin, const uint8_t* end) : p_(begin), end_(end) {}

    uint32_t next() {
        if (end_ - p_ < 4) throw TruncatedStream("rANS substream ends early");
        uint32_t w;
        std::memcpy(&w, p_, 4);
        p_ += 4;
        return w;
    }
    bool at_end() const { return p_ == end_; }

private:
    const uint8_t* p_;
    const uint8_t* end_;
};

/// Removes the symbol with (start, freq) from x, given x's slot; refills from `in`.
inline void rans_advance(uint64_t& x, uint32_t start, uint32_t freq, int precision, WordSource& in) {
    const uint64_t mask = (1ull << precision) - 1;
    x = freq * (x >> precision) + (x & mask) - start;
    if (x < kRansL) x = (x << 32) | in.next();
}

/// Reads `nbits` (1..16) raw bits written by rans_put_bits.
inline uint32_t rans_get_bits(uint64_t& x, int nbits, WordSource& in) {
    const uint32_t bits = static_cast<uint32_t>(x & ((1ull << nbits) - 1));
    x >>= nbits;
    if (x < kRansL) x = (x << 32) | in.next();
    return bits;
}

}  // namespace aec

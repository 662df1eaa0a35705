// Coding of one substream: two interleaved rANS states sharing one word stream,
// with escape coding of values outside a table's range.
//
// Substream layout: state0 (u64 LE), state1 (u64 LE), then u32 LE words in decode order.
// Symbol i uses state i % 2. An escaped value is coded as the escape symbol, then
// 6 raw bits nb (0..33), then the low nb bits of u = z + 1 (whose top bit is implicit),
// where z = 2 * (lo - 1 - v) below the table range, z = 2 * (v - hi - 1) + 1 above it.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "rans.hpp"
#include "tables.hpp"

namespace aec {

constexpr int kLenBits = 6;
constexpr int kMaxEscapeBits = 33;
/// Most words a single value can emit (symbol + length + 3 payload chunks).
constexpr size_t kMaxWordsPerValue = 5;
constexpr size_t kStateBytes = 16;

/// Splits an escaped value into (nb, payload) as described above.
inline void escape_split(const Tables::Info& ti, int32_t v, int& nb, uint64_t& payload) {
    const int64_t lo = ti.offset, hi = static_cast<int64_t>(ti.offset) + ti.escape - 1;
    const uint64_t z = v < lo ? 2 * static_cast<uint64_t>(lo - 1 - v) : 2 * static_cast<uint64_t>(v - hi - 1) + 1;
    const uint64_t u = z + 1;
    nb = 63 - __builtin_clzll(u);
    payload = u - (1ull << nb);
}

/// Ideal code length of v in bits under table ti (escape cost included).
inline double value_bits(const Tables& tb, const Tables::Info& ti, int32_t v) {
    const int64_t d = static_cast<int64_t>(v) - ti.offset;
    const int p = tb.precision();
    if (static_cast<uint64_t>(d) < ti.escape)
        return p - std::log2(static_cast<double>(tb.cdf(ti, d + 1) - tb.cdf(ti, d)));
    int nb;
    uint64_t payload;
    escape_split(ti, v, nb, payload);
    return p - std::log2(static_cast<double>(tb.cdf(ti, ti.escape + 1) - tb.cdf(ti, ti.escape))) + kLenBits + nb;
}

/// Encodes one value; `remaining` values follow it in encode order (for the escape buffer reserve).
inline void encode_value(const Tables& tb, uint64_t& x, uint32_t t, int32_t v, WordSink& out, size_t remaining) {
    const Tables::Info& ti = tb.info(t);
    const int p = tb.precision();
    const int64_t d = static_cast<int64_t>(v) - ti.offset;
    if (__builtin_expect(static_cast<uint64_t>(d) < ti.escape, 1)) {
        rans_put(x, tb.enc(ti, static_cast<uint32_t>(d)), p, out);
        return;
    }
    out.reserve(remaining + kMaxWordsPerValue + 8);
    int nb;
    uint64_t payload;
    escape_split(ti, v, nb, payload);
    // Reverse of the decode order: chunks high to low, then the length, then the escape symbol.
    const int n2 = nb > 32 ? nb - 32 : 0, n1 = nb > 16 ? std::min(nb - 16, 16) : 0, n0 = std::min(nb, 16);
    if (n2) rans_put_bits(x, static_cast<uint32_t>(payload >> 32), n2, out);
    if (n1) rans_put_bits(x, static_cast<uint32_t>(payload >> 16) & 0xFFFF, n1, out);
    if (n0) rans_put_bits(x, static_cast<uint32_t>(payload) & 0xFFFF, n0, out);
    rans_put_bits(x, static_cast<uint32_t>(nb), kLenBits, out);
    rans_put(x, tb.enc(ti, ti.escape), p, out);
}

inline int32_t decode_value(const Tables& tb, uint64_t& x, uint32_t t, WordSource& in) {
    const Tables::Info& ti = tb.info(t);
    const int p = tb.precision();
    const uint32_t slot = static_cast<uint32_t>(x & ((1u << p) - 1));
    const uint32_t sym = tb.find(ti, slot);
    const uint32_t start = tb.cdf(ti, sym);
    rans_advance(x, start, tb.cdf(ti, sym + 1) - start, p, in);
    if (__builtin_expect(sym != ti.escape, 1)) return static_cast<int32_t>(static_cast<int64_t>(ti.offset) + sym);

    const int nb = static_cast<int>(rans_get_bits(x, kLenBits, in));
    if (nb > kMaxEscapeBits) throw CorruptStream("escape length out of range");
    uint64_t payload = 0;
    const int n2 = nb > 32 ? nb - 32 : 0, n1 = nb > 16 ? std::min(nb - 16, 16) : 0, n0 = std::min(nb, 16);
    if (n0) payload |= rans_get_bits(x, n0, in);
    if (n1) payload |= static_cast<uint64_t>(rans_get_bits(x, n1, in)) << 16;
    if (n2) payload |= static_cast<uint64_t>(rans_get_bits(x, n2, in)) << 32;
    const uint64_t z = (payload | (1ull << nb)) - 1;
    const int64_t dist = static_cast<int64_t>(z >> 1);
    const int64_t v = (z & 1) ? static_cast<int64_t>(ti.offset) + ti.escape + dist
                              : static_cast<int64_t>(ti.offset) - 1 - dist;
    if (v < INT32_MIN || v > INT32_MAX) throw CorruptStream("escaped value outside int32");
    return static_cast<int32_t>(v);
}

/// Encodes values [begin, end) of `src` (src(i, table, value)) into one substream.
template <class Source>
std::vector<uint8_t> encode_substream(const Tables& tb, const Source& src, size_t begin, size_t end) {
    const size_t n = end - begin;
    WordSink out(n + 8);
    uint64_t st[2] = {kRansL, kRansL};
    for (size_t i = n; i-- > 0;) {
        uint32_t t;
        int32_t v;
        src(begin + i, t, v);
        encode_value(tb, st[i & 1], t, v, out, i);
    }
    out.reserve(4);
    out.put(static_cast<uint32_t>(st[1] >> 32));
    out.put(static_cast<uint32_t>(st[1]));
    out.put(static_cast<uint32_t>(st[0] >> 32));
    out.put(static_cast<uint32_t>(st[0]));
    std::vector<uint8_t> bytes(out.size() * 4);
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "stream words are stored little-endian");
    std::memcpy(bytes.data(), out.data(), bytes.size());
    return bytes;
}

/// Decoding state of one substream: reads its two initial states, then decodes its values in one or
/// more calls (`decode`), and `finish` checks that it was consumed exactly. Every read is bounds-checked.
class SubstreamReader {
public:
    SubstreamReader(const uint8_t* data, const uint8_t* data_end) : in_(data, data_end) {
        for (uint64_t& x : st_) {
            x = in_.next();
            x |= static_cast<uint64_t>(in_.next()) << 32;
            if (x < kRansL || x >> 63) throw CorruptStream("invalid initial rANS state");
        }
    }

    /// Decodes the substream's next end - begin values into sink indices [begin, end)
    /// (sink.table(i), sink.put(i, v)); value j of the substream uses state j % 2.
    template <class Sink>
    void decode(const Tables& tb, const Sink& sink, size_t begin, size_t end) {
        uint64_t st[2] = {st_[0], st_[1]};  // locals, so the loop keeps them in registers
        WordSource in = in_;
        const size_t parity = decoded_ & 1;
        for (size_t i = begin; i < end; ++i) {
            const uint32_t t = sink.table(i);
            sink.put(i, decode_value(tb, st[(i - begin + parity) & 1], t, in));
        }
        st_[0] = st[0];
        st_[1] = st[1];
        in_ = in;
        decoded_ += end - begin;
    }

    /// Checks that the substream is consumed exactly and both states are back at their initial value.
    void finish() const {
        if (!in_.at_end()) throw CorruptStream("substream has trailing data");
        if (st_[0] != kRansL || st_[1] != kRansL) throw CorruptStream("final rANS state mismatch (corrupt data)");
    }

private:
    WordSource in_;
    uint64_t st_[2];
    size_t decoded_ = 0;
};

/// Decodes values [begin, end) from one substream into `sink` (sink.table(i), sink.put(i, v)).
/// Checks that the substream is consumed exactly and both states end at their initial value.
template <class Sink>
void decode_substream(const Tables& tb, const Sink& sink, size_t begin, size_t end,
                      const uint8_t* data, const uint8_t* data_end) {
    SubstreamReader reader(data, data_end);
    reader.decode(tb, sink, begin, end);
    reader.finish();
}

}  // namespace aec

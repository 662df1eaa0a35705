#include "stream.hpp"

#include <string>

namespace aec {
namespace {

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

uint64_t get_varint(const uint8_t*& p, const uint8_t* end) {
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {  // at most 5 bytes (< 2^35)
        if (p == end) throw TruncatedStream("stream header ends early");
        const uint8_t b = *p++;
        v |= static_cast<uint64_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) return v;
    }
    throw CorruptStream("stream header: varint too long");
}

}  // namespace

size_t effective_substreams(size_t n, size_t requested) {
    if (requested < 1 || requested > kMaxSubstreams)
        throw InvalidInput("substreams must be in [1, " + std::to_string(kMaxSubstreams) + "], got " +
                           std::to_string(requested));
    return std::max<size_t>(1, std::min(requested, n));
}

std::vector<uint8_t> join_substreams(const std::vector<std::vector<uint8_t>>& parts) {
    size_t total = 0;
    for (const auto& p : parts) total += p.size();
    std::vector<uint8_t> out;
    out.reserve(total + 8 + 5 * parts.size());
    out.push_back(kStreamTag);
    put_varint(out, parts.size());
    for (size_t k = 0; k + 1 < parts.size(); ++k) put_varint(out, parts[k].size());
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::vector<size_t> split_substreams(const uint8_t* data, size_t len, size_t n) {
    const uint8_t* p = data;
    const uint8_t* end = data + len;
    if (p == end) throw TruncatedStream("empty stream");
    if (*p++ != kStreamTag) throw CorruptStream("not an aecodec rANS stream (bad tag byte)");
    const uint64_t K = get_varint(p, end);
    if (K < 1 || K > std::max<size_t>(1, std::min(n, kMaxSubstreams)))
        throw CorruptStream("invalid substream count " + std::to_string(K) + " for " + std::to_string(n) + " symbols");
    std::vector<size_t> off(K + 1);
    uint64_t sum = 0;
    for (uint64_t k = 0; k + 1 < K; ++k) {
        const uint64_t s = get_varint(p, end);
        off[k + 1] = s;
        sum += s;
    }
    const size_t header = static_cast<size_t>(p - data);
    if (sum > len - header) throw TruncatedStream("substream lengths exceed the stream size");
    off[0] = header;
    for (uint64_t k = 0; k < K; ++k) {
        const uint64_t s = (k + 1 < K) ? off[k + 1] : (len - header - sum);
        const size_t count = chunk_begin(n, k + 1, K) - chunk_begin(n, k, K);
        if (s < kStateBytes) throw TruncatedStream("substream " + std::to_string(k) + " is too short");
        if (s % 4 != 0 || s > kStateBytes + 4 * kMaxWordsPerValue * static_cast<uint64_t>(count))
            throw CorruptStream("substream " + std::to_string(k) + " has an impossible length");
        off[k + 1] = off[k] + s;
    }
    return off;
}

}  // namespace aec

#include "tables.hpp"

#include <algorithm>
#include <string>

namespace aec {
namespace {

// Bits of the slot -> symbol hint table; 12 keeps all tables inside L2 (see docs/ENTROPY.md).
#ifndef AEC_LUT_BITS
#define AEC_LUT_BITS 12
#endif
constexpr int kLutBits = AEC_LUT_BITS;

[[noreturn]] void fail(size_t t, const std::string& what) {
    throw InvalidTable("table " + std::to_string(t) + ": " + what);
}

}  // namespace

Tables::Tables(const uint32_t* cdfs, size_t cdfs_len, const int32_t* num_symbols,
               const int32_t* offsets, size_t num_tables, int precision)
    : precision_(precision) {
    if (precision < 1 || precision > 16)
        throw InvalidTable("precision must be in [1, 16], got " + std::to_string(precision));
    if (num_tables == 0) throw InvalidTable("need at least one table");
    if (num_tables > kMaxTables)
        throw InvalidTable(std::to_string(num_tables) + " tables exceed the limit of " + std::to_string(kMaxTables));
    if (cdfs_len > kMaxCdfEntries)
        throw InvalidTable("cdfs has " + std::to_string(cdfs_len) + " entries, more than the limit of " +
                           std::to_string(kMaxCdfEntries));
    const uint32_t total = 1u << precision;
    const int lut_bits = std::min(precision, kLutBits);
    lut_shift_ = precision - lut_bits;

    size_t need = 0;
    for (size_t t = 0; t < num_tables; ++t) {
        const int64_t m = num_symbols[t];
        if (m < 2) fail(t, "needs at least one symbol plus the escape symbol, got " + std::to_string(m));
        if (m > total) fail(t, std::to_string(m) + " symbols do not fit precision " + std::to_string(precision));
        if (static_cast<int64_t>(offsets[t]) + (m - 2) > INT32_MAX) fail(t, "offset + length exceeds int32");
        need += static_cast<size_t>(m) + 1;
    }
    if (need != cdfs_len)
        throw InvalidTable("cdfs has " + std::to_string(cdfs_len) + " entries, num_symbols implies " +
                           std::to_string(need));

    info_.resize(num_tables);
    cdf_.assign(cdfs, cdfs + cdfs_len);
    enc_.resize(cdfs_len);
    lut_.resize(num_tables << lut_bits);
    uint32_t base = 0;
    for (size_t t = 0; t < num_tables; ++t) {
        const uint32_t m = static_cast<uint32_t>(num_symbols[t]);
        const uint32_t* c = cdf_.data() + base;
        if (c[0] != 0) fail(t, "CDF must start at 0");
        if (c[m] != total) fail(t, "CDF must end at 2^precision = " + std::to_string(total));
        for (uint32_t s = 0; s < m; ++s) {
            if (c[s + 1] <= c[s]) fail(t, "symbol " + std::to_string(s) + " has zero frequency (CDF not strictly increasing)");
            enc_[base + s] = EncSymbol::make(c[s], c[s + 1] - c[s], precision);
        }
        Info& ti = info_[t];
        ti.offset = offsets[t];
        ti.escape = m - 1;
        ti.cdf_base = base;
        ti.lut_base = static_cast<uint32_t>(t << lut_bits);
        uint32_t sym = 0;
        for (uint32_t b = 0; b < (1u << lut_bits); ++b) {
            const uint32_t slot = b << lut_shift_;
            while (slot >= c[sym + 1]) ++sym;
            lut_[ti.lut_base + b] = static_cast<uint16_t>(sym);
        }
        base += m + 1;
    }
}

}  // namespace aec

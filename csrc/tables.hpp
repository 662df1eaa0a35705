// Validated, quantized CDF tables with their encoder and decoder lookup structures.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rans.hpp"

namespace aec {

/// Most tables in one set (a model's channels or grid scales; the shipped models use 64 and 128). Each
/// table costs a 2^12-entry (8 KiB) decoder lookup, so this bounds that to 32 MiB.
constexpr size_t kMaxTables = 4096;
/// Most CDF entries over all tables: 16 tables of the largest size (2^16 + 1 entries at precision 16).
/// Bounds the CDF and encoder arrays to about 4 MiB and 16 MiB.
constexpr size_t kMaxCdfEntries = 16 * ((size_t{1} << 16) + 1);

/// A set of CDF tables sharing one precision. Table t codes the integers
/// offset[t] .. offset[t] + num_symbols[t] - 2; its last symbol is the escape.
class Tables {
public:
    struct Info {
        int32_t offset;     // value of symbol 0
        uint32_t escape;    // index of the escape symbol = number of regular symbols
        uint32_t cdf_base;  // first CDF entry of this table in cdf_ / enc_
        uint32_t lut_base;  // first entry of this table in lut_
    };

    /// `cdfs` holds the tables back to back, table t with num_symbols[t] + 1 entries
    /// from 0 to 2^precision. Throws InvalidTable when anything is off, before allocating anything when
    /// the sizes exceed kMaxTables or kMaxCdfEntries.
    Tables(const uint32_t* cdfs, size_t cdfs_len, const int32_t* num_symbols,
           const int32_t* offsets, size_t num_tables, int precision);

    int precision() const { return precision_; }
    size_t size() const { return info_.size(); }
    const Info& info(uint32_t t) const { return info_[t]; }
    const EncSymbol& enc(const Info& ti, uint32_t sym) const { return enc_[ti.cdf_base + sym]; }
    uint32_t cdf(const Info& ti, uint32_t sym) const { return cdf_[ti.cdf_base + sym]; }

    /// The symbol whose slot range holds `slot` (< 2^precision).
    uint32_t find(const Info& ti, uint32_t slot) const {
        uint32_t sym = lut_[ti.lut_base + (slot >> lut_shift_)];
        const uint32_t* c = cdf_.data() + ti.cdf_base + 1;
        while (slot >= c[sym]) ++sym;  // bounded: the last entry is 2^precision
        return sym;
    }

private:
    int precision_;
    int lut_shift_;
    std::vector<Info> info_;
    std::vector<uint32_t> cdf_;
    std::vector<EncSymbol> enc_;
    std::vector<uint16_t> lut_;  // per table 2^(precision - lut_shift_) start hints
};

}  // namespace aec

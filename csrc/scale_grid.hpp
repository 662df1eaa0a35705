// Maps a float scale to the index of its Gaussian table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace aec {

/// Sorted grid of scales. index(s) = number of grid entries strictly smaller than s,
/// capped at size() - 1 (numpy: min(searchsorted(grid, s, 'left'), n - 1)).
class ScaleGrid {
public:
    /// Throws InvalidTable unless the grid is non-empty, finite, positive and strictly increasing.
    ScaleGrid(const float* grid, size_t n);

    size_t size() const { return last_ + 1; }

    /// s must not be NaN (callers check). A table keyed on the top 16 bits of s gives the count
    /// below the bucket's first float; the loop adds the (rarely any) grid entries inside the bucket.
    uint32_t index(float s) const {
        uint32_t bits;
        std::memcpy(&bits, &s, 4);
        uint32_t i = below_[bits >> 16];
        while (grid_[i] < s) ++i;  // grid_ ends with +inf
        return i < last_ ? i : last_;
    }

private:
    uint32_t last_;
    std::vector<float> grid_;        // the grid followed by +inf
    std::vector<uint16_t> below_;    // 2^16 buckets (sign, exponent, 7 mantissa bits)
};

}  // namespace aec

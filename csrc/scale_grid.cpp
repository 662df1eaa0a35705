#include "scale_grid.hpp"

#include <cmath>
#include <limits>

#include "errors.hpp"

namespace aec {

ScaleGrid::ScaleGrid(const float* grid, size_t n) {
    if (n == 0 || n > 65535) throw InvalidTable("scale grid needs 1 to 65535 entries");
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(grid[i]) || grid[i] <= 0.f) throw InvalidTable("scale grid entries must be finite and > 0");
        if (i > 0 && !(grid[i] > grid[i - 1])) throw InvalidTable("scale grid must be strictly increasing");
    }
    last_ = static_cast<uint32_t>(n - 1);
    grid_.assign(grid, grid + n);
    grid_.push_back(std::numeric_limits<float>::infinity());
    below_.assign(1u << 16, 0);  // keys >= 0x8000 are negative floats: nothing below them
    uint32_t count = 0;
    for (uint32_t key = 0; key < 0x8000; ++key) {
        const uint32_t bits = key << 16;
        float first;
        std::memcpy(&first, &bits, 4);
        while (count < n && grid_[count] < first) ++count;  // NaN keys (> +inf) get n
        below_[key] = static_cast<uint16_t>(key >= 0x7F81 ? n : count);
    }
}

}  // namespace aec

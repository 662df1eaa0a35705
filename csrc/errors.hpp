// Exception types of the core; bindings.cpp maps them onto aecodec.errors.
#pragma once
#include <stdexcept>
#include <string>

namespace aec {

/// The stream is damaged or not a stream of this coder.
struct CorruptStream : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The stream ends before the data it describes is complete.
struct TruncatedStream : CorruptStream {
    using CorruptStream::CorruptStream;
};

/// A probability table or scale grid is malformed.
struct InvalidTable : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// Input arrays or arguments are unusable (NaN scale, value out of int32, bad index...).
struct InvalidInput : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// The system refused a resource coding needs (a worker thread).
struct ResourceExhausted : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace aec

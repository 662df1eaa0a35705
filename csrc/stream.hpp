// Stream container: splits n values into K contiguous substreams coded on worker threads.
//
// Layout: tag byte 0xA1, LEB128 K, LEB128 byte lengths of substreams 0..K-2, then the
// substreams back to back (the last one takes the rest). Substream k codes values
// [n*k/K, n*(k+1)/K). The bytes do not depend on the number of threads.
#pragma once
#include <cstdint>
#include <algorithm>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "substream.hpp"

namespace aec {

constexpr uint8_t kStreamTag = 0xA1;
constexpr size_t kMaxSubstreams = 4096;

inline size_t chunk_begin(size_t n, size_t k, size_t K) {
    return static_cast<size_t>(static_cast<unsigned __int128>(n) * k / K);
}

/// Worker threads used for K substreams when `threads` are asked for: at most K and at most the
/// machine's hardware threads (more would only add stacks and switching).
inline size_t worker_count(size_t K, int threads) {
    const size_t hardware = std::max(1u, std::thread::hardware_concurrency());
    return std::max<size_t>(1, std::min({K, static_cast<size_t>(threads < 1 ? 1 : threads), hardware}));
}

/// Runs f(k) for k in [0, K) on up to `threads` threads (see worker_count); rethrows the first
/// exception. If a thread cannot be created, the started ones are joined and ResourceExhausted is thrown.
template <class F>
void parallel_for(size_t K, int threads, const F& f) {
    const size_t T = worker_count(K, threads);
    if (T == 1) {
        for (size_t k = 0; k < K; ++k) f(k);
        return;
    }
    std::vector<std::exception_ptr> errors(T);
    std::vector<std::thread> pool;
    pool.reserve(T - 1);
    auto work = [&](size_t j) {
        try {
            for (size_t k = K * j / T; k < K * (j + 1) / T; ++k) f(k);
        } catch (...) {
            errors[j] = std::current_exception();
        }
    };
    try {
        for (size_t j = 1; j < T; ++j) pool.emplace_back(work, j);
    } catch (const std::system_error& e) {
        for (auto& th : pool) th.join();
        throw ResourceExhausted(std::string("cannot start a coding thread (") + e.what() + "); use fewer threads");
    }
    work(0);
    for (auto& th : pool) th.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

/// Number of substreams actually used for n values when `requested` are asked for.
size_t effective_substreams(size_t n, size_t requested);

/// Joins substreams into the container layout.
std::vector<uint8_t> join_substreams(const std::vector<std::vector<uint8_t>>& parts);

/// Parses and validates the container for n values; returns K + 1 byte offsets into data.
std::vector<size_t> split_substreams(const uint8_t* data, size_t len, size_t n);

template <class Source>
std::vector<uint8_t> encode_stream(const Tables& tb, const Source& src, size_t n, size_t substreams, int threads) {
    const size_t K = effective_substreams(n, substreams);
    std::vector<std::vector<uint8_t>> parts(K);
    parallel_for(K, threads, [&](size_t k) {
        parts[k] = encode_substream(tb, src, chunk_begin(n, k, K), chunk_begin(n, k + 1, K));
    });
    return join_substreams(parts);
}

template <class Sink>
void decode_stream(const Tables& tb, const Sink& sink, size_t n, const uint8_t* data, size_t len, int threads) {
    const std::vector<size_t> off = split_substreams(data, len, n);
    const size_t K = off.size() - 1;
    parallel_for(K, threads, [&](size_t k) {
        decode_substream(tb, sink, chunk_begin(n, k, K), chunk_begin(n, k + 1, K), data + off[k], data + off[k + 1]);
    });
}

}  // namespace aec

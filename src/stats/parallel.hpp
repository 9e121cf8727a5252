#pragma once
// Runs the blocks of a fixed partition of work on a few threads. The partition is the caller's
// and does not depend on the thread count, and each block's result is kept apart from the others,
// so what the caller computes from them never depends on how many threads ran (STYLE.md:
// deterministic parallelism). <thread> stays in parallel.cpp, out of the headers that include this.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace evident::detail {

// At most this many threads are ever started, whatever is asked: beyond it a run gains nothing
// and can exhaust the system's processes (documented with --threads).
inline constexpr unsigned kMaxThreads = 256;

// The threads to use for a requested count: 0 means every core the system reports (at least 1),
// and no count exceeds kMaxThreads.
[[nodiscard]] unsigned resolve_threads(unsigned threads) noexcept;

// Calls fn(context, block) once for every block in [0, n_blocks), on the calling thread and up to
// threads - 1 more (0: all cores), never more threads than blocks. Blocks are handed out one at a
// time, in order, to whichever thread is free. If a thread cannot be started, the threads that
// did start do its blocks. Returns when every block is done. fn must not throw.
void parallel_blocks(std::size_t n_blocks, unsigned threads, void (*fn)(void*, std::size_t),
                     void* context);

template <class Fn>
void parallel_blocks(std::size_t n_blocks, unsigned threads, Fn& fn) {
  parallel_blocks(
      n_blocks, threads,
      [](void* context, std::size_t block) { (*static_cast<Fn*>(context))(block); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

// A sum over [0, n) in fixed blocks of `block` items: compute(begin, end) gives the partial
// result of one block, and combine(partial) is called for every block in block order, on the
// calling thread. With one thread each partial is combined as soon as it is computed (nothing is
// allocated); with more, the partials are kept and combined after all are done. The operations
// are the same either way, so the result is bitwise the same for any thread count.
template <class Partial, class Compute, class Combine>
void reduce_blocks(std::size_t n, std::size_t block, unsigned threads, Compute&& compute,
                   Combine&& combine) {
  if (n <= block) {  // one block: the plain loop, at no cost to the many small fits of a batch
    combine(compute(0, n));
    return;
  }
  const std::size_t n_blocks = (n + block - 1) / block;
  if (resolve_threads(threads) == 1) {
    for (std::size_t b = 0; b < n_blocks; ++b)
      combine(compute(b * block, std::min(n, (b + 1) * block)));
    return;
  }
  std::vector<Partial> partials(n_blocks);
  auto run = [&](std::size_t b) { partials[b] = compute(b * block, std::min(n, (b + 1) * block)); };
  parallel_blocks(n_blocks, threads, run);
  for (const Partial& p : partials)
    combine(p);
}

// fn(begin, end) for every block of `block` items of [0, n), on up to `threads` threads: for work
// with no sum across blocks.
template <class Fn>
void for_blocks(std::size_t n, std::size_t block, unsigned threads, Fn&& fn) {
  const std::size_t n_blocks = (n + block - 1) / block;
  auto run = [&](std::size_t b) { fn(b * block, std::min(n, (b + 1) * block)); };
  parallel_blocks(n_blocks, threads, run);
}

}  // namespace evident::detail

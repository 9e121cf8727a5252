#include "stats/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

namespace evident::detail {

unsigned resolve_threads(unsigned threads) noexcept {
  const unsigned n = threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  return std::min(n, kMaxThreads);
}

void parallel_blocks(std::size_t n_blocks, unsigned threads, void (*fn)(void*, std::size_t),
                     void* context) {
  const std::size_t workers =
      n_blocks <= 1 ? n_blocks : std::min<std::size_t>(resolve_threads(threads), n_blocks);
  if (workers <= 1) {
    for (std::size_t b = 0; b < n_blocks; ++b)
      fn(context, b);
    return;
  }
  // Handing out blocks one by one, rather than a fixed range per thread, keeps both cores busy
  // when the machine is shared and one thread is descheduled.
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t b = next.fetch_add(1, std::memory_order_relaxed); b < n_blocks;
         b = next.fetch_add(1, std::memory_order_relaxed))
      fn(context, b);
  };
  std::vector<std::thread> helpers;
  helpers.reserve(workers - 1);
  try {
    for (std::size_t t = 1; t < workers; ++t)
      helpers.emplace_back(work);
  } catch (const std::system_error&) {
    // Out of threads: the calling thread (and any helper that did start) does the rest.
  }
  work();
  for (auto& h : helpers)
    h.join();
}

}  // namespace evident::detail

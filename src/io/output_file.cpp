#include "io/output_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include "evident/io/error.hpp"

namespace evident::detail {

namespace {

// The temporary files a signal handler must remove: fixed storage, so the handler reads it
// without allocating. A slot is claimed (writing), filled, then published (ready); the handler
// unlinks only published paths.
constexpr int kSlots = 64;
constexpr std::size_t kPathMax = 4096;
enum SlotState : int { kFree, kWriting, kReady };
char slot_paths[kSlots][kPathMax];
std::atomic<int> slot_state[kSlots];

int register_partial(const std::string& path) {
  if (path.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!slot_state[i].compare_exchange_strong(expected, kWriting)) continue;
    std::memcpy(slot_paths[i], path.c_str(), path.size() + 1);
    slot_state[i].store(kReady);
    return i;
  }
  return -1;  // more than kSlots at once: that one is not removed on a signal
}

void unregister_partial(int slot) {
  if (slot >= 0) slot_state[slot].store(kFree);
}

}  // namespace

void remove_partial_outputs() noexcept {
  for (int i = 0; i < kSlots; ++i) {
    if (slot_state[i].load() == kReady) ::unlink(slot_paths[i]);
  }
}

namespace {

// The file a path names: a symbolic link is followed to its target (which may not exist yet), so
// writing to a link updates what it points to instead of replacing the link.
std::string followed(const std::string& path) {
  std::filesystem::path p(path);
  std::error_code ec;
  for (int hops = 0;
       hops < 40 && std::filesystem::is_symlink(std::filesystem::symlink_status(p, ec)); ++hops) {
    const std::filesystem::path target = std::filesystem::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return p.string();
}

}  // namespace

OutputFile::OutputFile(const std::string& given) : path_(followed(given)) {
  const std::string& path = path_;
  // A device, FIFO or socket (/dev/null, /dev/stdout, a pipe) is written straight into: renaming
  // a finished file over it would replace the device node.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    if (std::filesystem::is_directory(status)) {
      throw InputError({given, 0, 0}, "a folder, not a file: give a file name to write");
    }
    direct_ = true;
    stream_.open(path, std::ios::binary);
    if (!stream_) {
      throw InputError({given, 0, 0},
                       fmt::format("cannot open for writing: {}", std::strerror(errno)));
    }
    return;
  }
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // The name is registered for the signal handler before the file exists (mkstemp would create
  // it first, and a signal in between would leave it behind), then created exclusively; a name
  // taken already is given back and another drawn. Mode 0666 less the umask, as any new file.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static thread_local std::mt19937_64 draw(std::random_device{}() ^
                                           static_cast<std::uint64_t>(::getpid()));
  int fd = -1;
  for (int attempt = 0; attempt < 1000 && fd < 0; ++attempt) {
    temp_ = dir;
    temp_ += '.';
    temp_ += base;
    temp_ += ".partial-";
    for (int c = 0; c < 6; ++c)
      temp_ += kAlphabet[draw() % (sizeof kAlphabet - 1)];
    slot_ = register_partial(temp_);
    fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      const int error = errno;
      unregister_partial(slot_);
      slot_ = -1;
      if (error != EEXIST) {
        throw InputError(
            {path, 0, 0},
            fmt::format("cannot create a file in the output directory: {}", std::strerror(error)));
      }
    }
  }
  if (fd < 0) {
    throw InputError({path, 0, 0},
                     "cannot create a file in the output directory: every "
                     "temporary name tried exists");
  }
  ::close(fd);
  stream_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!stream_) {
    ::unlink(temp_.c_str());
    unregister_partial(slot_);
    throw InputError({path, 0, 0}, "cannot open the output file for writing");
  }
}

OutputFile::~OutputFile() {
  if (!committed_ && !direct_) {
    stream_.close();
    ::unlink(temp_.c_str());
  }
  unregister_partial(slot_);
}

void OutputFile::commit() {
  stream_.close();
  if (!stream_) {
    throw InputError({path_, 0, 0}, "writing this file failed (is the disk full?)");
  }
  if (direct_) {
    committed_ = true;
    return;
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw InputError({path_, 0, 0}, fmt::format("cannot rename the finished file to this name: {}",
                                                std::strerror(errno)));
  }
  committed_ = true;
  unregister_partial(slot_);
}

}  // namespace evident::detail

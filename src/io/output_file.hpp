#pragma once
// Output written under a temporary name in the target's directory and renamed into place only
// when complete, so an interrupted or failed run never leaves a partial file that looks whole.

#include <fstream>
#include <ostream>
#include <string>

namespace evident::detail {

// Removes the temporary file of every OutputFile not yet committed. Async-signal-safe (it only
// calls unlink on paths recorded beforehand), for a handler of SIGINT or SIGTERM to call before
// the process ends; the command line installs one. SIGKILL cannot be caught: a file it leaves is
// named `.NAME.partial-XXXXXX` beside NAME.
void remove_partial_outputs() noexcept;

// A file in the directory of `path` that becomes `path` by commit(); removed if never committed.
// A symbolic link is followed (its target is written); a device or FIFO is written straight
// into, without a temporary file.
class OutputFile {
 public:
  /// Throws InputError naming `path` when the temporary file cannot be created.
  explicit OutputFile(const std::string& path);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();
  std::ostream& stream() { return stream_; }
  /// Closes the file and renames it to `path`; throws when writing or renaming failed.
  void commit();

 private:
  std::string path_, temp_;
  std::ofstream stream_;
  bool committed_ = false;
  bool direct_ = false;  // a device or FIFO: no temporary file
  int slot_ = -1;        // in the registry remove_partial_outputs reads
};

}  // namespace evident::detail

#pragma once
// Output written under a temporary name in the target's directory and renamed into place only
// when complete, so an interrupted or failed run never leaves a partial file that looks whole.

#include <fstream>
#include <ostream>
#include <string>

namespace evident::detail {

// A file in the directory of `path` that becomes `path` by commit(); removed if never committed.
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
};

}  // namespace evident::detail

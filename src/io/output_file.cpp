#include "io/output_file.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "evident/io/error.hpp"

namespace evident::detail {

OutputFile::OutputFile(const std::string& path) : path_(path) {
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  temp_ = dir;
  temp_ += '.';
  temp_ += base;
  temp_ += ".partial-XXXXXX";
  std::vector<char> name(temp_.begin(), temp_.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw InputError({path, 0, 0}, fmt::format("cannot create a file in the output directory: {}",
                                               std::strerror(errno)));
  }
  temp_.assign(name.data());
  // mkstemp makes the file private; results get the permissions of any new file.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  ::close(fd);
  stream_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!stream_) {
    ::unlink(temp_.c_str());
    throw InputError({path, 0, 0}, "cannot open the output file for writing");
  }
}

OutputFile::~OutputFile() {
  if (!committed_) {
    stream_.close();
    ::unlink(temp_.c_str());
  }
}

void OutputFile::commit() {
  stream_.close();
  if (!stream_) {
    throw InputError({path_, 0, 0}, "writing this file failed (is the disk full?)");
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw InputError({path_, 0, 0}, fmt::format("cannot rename the finished file to this name: {}",
                                                std::strerror(errno)));
  }
  committed_ = true;
}

}  // namespace evident::detail

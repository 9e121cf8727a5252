#include "io/input_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "evident/io/error.hpp"

namespace evident::detail {

std::ifstream open_input_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError({path, 0, 0}, "this is a folder, not a CSV file");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw InputError({path, 0, 0}, std::string("cannot open the file for reading: ") +
                                       (error != 0 ? std::strerror(error) : "unknown reason"));
  }
  return in;
}

}  // namespace evident::detail

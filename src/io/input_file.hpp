#pragma once
// Opening an input file with a message that says what is wrong: no such file, a folder, no
// permission (a folder would otherwise read as an empty file).

#include <fstream>
#include <string>

namespace evident::detail {

// Throws InputError naming `path` when it cannot be read as a file.
std::ifstream open_input_file(const std::string& path);

}  // namespace evident::detail

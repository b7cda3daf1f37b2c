#include "cli/input_text.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace atelier::cli {

Result<std::string> readInputText(const std::string& path) {
    std::ostringstream text;
    if (path.empty() || path == "-") {
        text << std::cin.rdbuf();
        if (std::cin.bad()) return unexpected(Error::badInput("cannot read stdin"));
        return text.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return unexpected(Error::badInput(path + ": cannot open the file"));
    text << in.rdbuf();
    if (in.bad()) return unexpected(Error::badInput(path + ": cannot read the file"));
    return text.str();
}

}  // namespace atelier::cli

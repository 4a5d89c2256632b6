// Aligned text tables for the command line: columns as wide as their widest cell (bytes, not
// display width), two spaces apart, the last column unpadded.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace latchkey::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Right-aligns column `column` (numbers).
  void AlignRight(std::size_t column);
  void Add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // The widths that fit the headers and every row so far, never below `minimum` where given.
  std::vector<std::size_t> Widths(const std::vector<std::size_t>& minimum = {}) const;
  // One formatted line (with "\n") at the given widths.
  std::string Format(const std::vector<std::string>& row, const std::vector<std::size_t>& widths) const;
  const std::vector<std::string>& headers() const { return headers_; }
  void Print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace latchkey::cli

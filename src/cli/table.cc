#include "cli/table.h"

#include <algorithm>

namespace latchkey::cli {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::AlignRight(std::size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::Add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

std::vector<std::size_t> Table::Widths(const std::vector<std::size_t>& minimum) const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    widths[i] = std::max(headers_[i].size(), i < minimum.size() ? minimum[i] : 0);
    for (const auto& row : rows_) widths[i] = std::max(widths[i], row[i].size());
  }
  return widths;
}

std::string Table::Format(const std::vector<std::string>& row, const std::vector<std::size_t>& widths) const {
  std::string line;
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    const std::string cell = i < row.size() ? row[i] : "";
    const std::size_t width = i < widths.size() ? widths[i] : cell.size();
    const std::string pad(width > cell.size() ? width - cell.size() : 0, ' ');
    const bool last = i + 1 == headers_.size();
    if (right_[i]) {
      line += pad + cell;
    } else {
      line += last ? cell : cell + pad;
    }
    if (!last) line += "  ";
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

void Table::Print(std::FILE* out) const {
  const auto widths = Widths();
  std::fputs(Format(headers_, widths).c_str(), out);
  for (const auto& row : rows_) std::fputs(Format(row, widths).c_str(), out);
}

}  // namespace latchkey::cli

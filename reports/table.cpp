#include "reports/table.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "core/errors.h"
#include "reports/compare.h"
#include "reports/markdown_table.h"
#include "reports/report.h"

namespace ncb {
using nlohmann::json;

namespace {

struct Cell {
  std::optional<double> value;
  std::optional<double> half_width;
};

// The main key of a metric's aggregate: its own name, else <name>_char_accuracy or
// <name>_hit_rate (ocr, cursor).
std::string MainKey(const std::string& metric, const json& agg) {
  for (const std::string& k : {metric, metric + "_char_accuracy", metric + "_hit_rate"}) {
    if (agg.contains(k)) return k;
  }
  return "";
}

std::vector<std::string> DefaultColumns(const std::vector<json>& runs) {
  std::vector<std::string> cols;
  auto add = [&](const std::string& c) {
    if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
  };
  for (const auto& r : runs) {
    for (const auto& m : ArrayOr(r["config"], "metrics")) {
      const std::string name = m.value("name", "");
      if (!r["aggregates"].contains(name)) continue;
      const auto k = MainKey(name, r["aggregates"][name]);
      if (!k.empty()) add(k);
    }
    for (const auto& [probe, p] : ObjectOr(r, "probes").items()) {
      for (const auto& [variant, v] : ObjectOr(p, "variants").items()) add(probe + "." + variant);
    }
  }
  return cols;
}

// Looks `key` up: a probe variant, a top-level aggregate key of any metric, or
// metric.dotted.key.
Cell Lookup(const json& r, const std::string& key) {
  Cell c;
  if (const auto dot = key.find('.'); dot != std::string::npos) {
    const std::string head = key.substr(0, dot), rest = key.substr(dot + 1);
    if (r.contains("probes") && r["probes"].contains(head)) {
      const auto& vs = ObjectOr(r["probes"][head], "variants");
      if (vs.contains(rest)) {
        c.value = vs[rest]["accuracy"].get<double>();
        c.half_width =
            (vs[rest]["wilson95"][1].get<double>() - vs[rest]["wilson95"][0].get<double>()) / 2;
      }
      return c;
    }
    if (r["aggregates"].contains(head)) {
      const json* node = &r["aggregates"][head];
      std::stringstream ss(rest);
      for (std::string part; std::getline(ss, part, '.');) {
        if (!node->is_object() || !node->contains(part)) return c;
        node = &(*node)[part];
      }
      if (node->is_number()) c.value = node->get<double>();
      const auto& ci = ObjectOr(r["aggregates"][head], "ci95");
      if (ci.contains(rest))
        c.half_width = (ci[rest][1].get<double>() - ci[rest][0].get<double>()) / 2;
      return c;
    }
  }
  for (const auto& [name, agg] : r["aggregates"].items()) {
    if (!agg.is_object() || !agg.contains(key)) continue;
    if (agg[key].is_number()) c.value = agg[key].get<double>();
    const auto& ci = ObjectOr(agg, "ci95");
    if (ci.contains(key)) c.half_width = (ci[key][1].get<double>() - ci[key][0].get<double>()) / 2;
    return c;
  }
  return c;
}

std::string Direction(const std::vector<json>& runs, const std::string& key) {
  if (key.find('.') != std::string::npos) {
    const std::string head = key.substr(0, key.find('.'));
    for (const auto& r : runs) {
      if (r.contains("probes") && r["probes"].contains(head)) return "higher_is_better";
    }
    return KeyDirection(runs[0], key.substr(key.rfind('.') + 1));
  }
  return KeyDirection(runs[0], key);
}

std::string LatexEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += ch;
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '\\':
        out += "\\textbackslash{}";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string MakeTable(const std::vector<json>& runs, const TableOptions& o) {
  if (runs.empty()) throw Error("table: no runs given");
  if (!o.labels.empty() && o.labels.size() != runs.size()) {
    throw Error("table: " + std::to_string(o.labels.size()) + " labels for " +
                std::to_string(runs.size()) + " runs");
  }
  if (o.format != "markdown" && o.format != "latex" && o.format != "csv") {
    throw Error("table: --format '" + o.format + "'; expected markdown, latex or csv");
  }
  const auto cols = o.columns.empty() ? DefaultColumns(runs) : o.columns;
  std::vector<std::string> labels;
  for (size_t i = 0; i < runs.size(); ++i) {
    labels.push_back(o.labels.empty() ? runs[i]["checkpoint"]["spec"].value(
                                            "name", "run " + std::to_string(i + 1))
                                      : o.labels[i]);
  }
  std::vector<std::vector<Cell>> cells(runs.size());
  std::vector<std::string> dirs;
  for (const auto& c : cols) {
    bool any = false;
    for (size_t i = 0; i < runs.size(); ++i) {
      cells[i].push_back(Lookup(runs[i], c));
      any = any || cells[i].back().value.has_value();
    }
    if (!any)
      throw Error("table: no run has the key '" + c +
                  "' (aggregate key, metric.key or probe.variant)");
    dirs.push_back(Direction(runs, c));
  }
  // The best value per column (ties: all bold), at the printed precision.
  std::vector<std::optional<double>> best(cols.size());
  for (size_t j = 0; j < cols.size(); ++j) {
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!cells[i][j].value) continue;
      const double v = std::stod(Fixed(*cells[i][j].value, o.digits));
      if (!best[j] || (dirs[j] == "lower_is_better" ? v < *best[j] : v > *best[j])) best[j] = v;
    }
  }
  auto is_best = [&](size_t i, size_t j) {
    return runs.size() > 1 && cells[i][j].value &&
           std::stod(Fixed(*cells[i][j].value, o.digits)) == *best[j];
  };
  std::ostringstream out;
  if (o.format == "csv") {
    out << "run";
    for (const auto& c : cols) out << "," << CsvField(c) << "," << CsvField(c + "_ci95_half_width");
    out << "\n";
    for (size_t i = 0; i < runs.size(); ++i) {
      out << CsvField(labels[i]);
      for (const auto& cell : cells[i]) {
        out << ",";
        if (cell.value) out << Fixed(*cell.value, 10);
        out << ",";
        if (cell.half_width) out << Fixed(*cell.half_width, 10);
      }
      out << "\n";
    }
    return out.str();
  }
  const bool latex = o.format == "latex";
  auto arrow = [&](const std::string& d) {
    if (latex) return std::string(d == "lower_is_better" ? " $\\downarrow$" : " $\\uparrow$");
    return std::string(d == "lower_is_better" ? " ↓" : " ↑");
  };
  auto value = [&](size_t i, size_t j) {
    const Cell& c = cells[i][j];
    if (!c.value) return std::string(latex ? "--" : "-");
    std::string v = Fixed(*c.value, o.digits);
    if (o.intervals && c.half_width)
      v += (latex ? " $\\pm$ " : " ± ") + Fixed(*c.half_width, o.digits);
    if (is_best(i, j)) v = latex ? "\\textbf{" + v + "}" : "**" + v + "**";
    return v;
  };
  if (latex) {
    // A tabular body that compiles with plain LaTeX (no packages); \input it inside a table.
    out << "\\begin{tabular}{l" << std::string(cols.size(), 'r') << "}\n\\hline\nRun";
    for (size_t j = 0; j < cols.size(); ++j) out << " & " << LatexEscape(cols[j]) << arrow(dirs[j]);
    out << " \\\\\n\\hline\n";
    for (size_t i = 0; i < runs.size(); ++i) {
      out << LatexEscape(labels[i]);
      for (size_t j = 0; j < cols.size(); ++j) out << " & " << value(i, j);
      out << " \\\\\n";
    }
    out << "\\hline\n\\end{tabular}\n";
    return out.str();
  }
  std::vector<MarkdownTable::Column> columns = {{"Run"}};
  for (size_t j = 0; j < cols.size(); ++j) columns.push_back({cols[j] + arrow(dirs[j]), true});
  MarkdownTable table(columns);
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::string> row = {labels[i]};
    for (size_t j = 0; j < cols.size(); ++j) row.push_back(value(i, j));
    table.Row(std::move(row));
  }
  return out.str() + table.str();
}

}  // namespace ncb

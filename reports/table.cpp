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

// The main key of a metric's aggregate: its first headline key (HeadlineKeys) it has.
std::string MainKey(const json& metric, const json& agg) {
  for (const auto& k : HeadlineKeys(metric)) {
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
      const auto k = MainKey(m, r["aggregates"][name]);
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

// What a column's numbers depend on besides the model: for a probe variant, the probe's
// version, problem set (pool hash, count, the drawn indices) and screen; for a metric's key,
// the dataset (its manifest's sha256). Runs that differ there measured different things, and
// one column of theirs would rank them as if they had not.
json Measured(const json& r, const std::string& key) {
  const auto dot = key.find('.');
  if (dot != std::string::npos && r.contains("probes") &&
      r["probes"].contains(key.substr(0, dot))) {
    const json& p = r["probes"][key.substr(0, dot)];
    const json& protocol = ObjectOr(p, "protocol");
    return {{"probe version", p.value("version", json())},
            {"pool", ObjectOr(p, "pool").value("name", json())},
            {"pool sha256", ObjectOr(p, "pool").value("sha256", json())},
            {"problems", p.value("problems", json())},
            {"drawn", ObjectOr(p, "draw").value("indices", json())},
            {"read_frames", protocol.value("read_frames", json())},
            {"screen", protocol.value("screen", json())}};
  }
  // The manifest's hash, not its path: one dataset read from two folders is alike.
  return {{"dataset sha256", ObjectOr(r, "dataset").value("sha256", json())}};
}

// Why two of `with` (the runs with a value in column `key`) measured different things
// (Measured): the column, both runs and the fields that differ; none when they all measured
// the same.
std::optional<std::string> Mismatch(const std::vector<json>& runs,
                                    const std::vector<std::string>& labels,
                                    const std::vector<size_t>& with, const std::string& key) {
  const auto shown = [](const std::string& field, const json& v) -> std::string {
    if (v.is_array()) return std::to_string(v.size()) + " values";  // the drawn indices
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    return field.find("sha256") != std::string::npos ? text.substr(0, 12) : text;
  };
  const auto manifest = [](const json& run) {  // where a dataset's hash came from
    return " (" + ObjectOr(run, "dataset").value("manifest", std::string("?")) + ")";
  };
  const auto run = [&](size_t k) { return std::to_string(k + 1) + " ('" + labels[k] + "')"; };
  const size_t first = with.front();
  const json a = Measured(runs[first], key);
  for (size_t i : with) {
    const json b = Measured(runs[i], key);
    if (a == b) continue;
    std::string why;
    for (const auto& [field, va] : a.items()) {
      if (b[field] == va) continue;
      const bool dataset = field == "dataset sha256";
      why += (why.empty() ? "" : "; ") + field + " " + shown(field, va) +
             (dataset ? manifest(runs[first]) : "") + " vs " + shown(field, b[field]) +
             (dataset ? manifest(runs[i]) : "");
    }
    return "table: column '" + key + "': runs " + run(first) + " and " + run(i) +
           " measured different things (" + why +
           "): one column would rank them as alike; table them separately, choose --columns "
           "that only one kind of run has, or give --allow-mismatch";
  }
  return std::nullopt;
}

// The direction of column `key`, from `r`: a run that has a value there (another run's
// metrics may not describe the key, and a key no descriptor names reads as higher-better).
std::string Direction(const json& r, const std::string& key) {
  if (key.find('.') != std::string::npos) {
    const std::string head = key.substr(0, key.find('.'));
    if (r.contains("probes") && r["probes"].contains(head)) return "higher_is_better";
    return KeyDirection(r, key.substr(key.rfind('.') + 1));
  }
  return KeyDirection(r, key);
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

namespace {

// The table's content before formatting: labels, columns, cells and each column's direction.
struct TableData {
  std::vector<std::string> labels, cols, dirs;
  std::vector<std::vector<Cell>> cells;  // [run][column]
  // Per column, at the printed precision; none where the column has one value, or runs that
  // measured different things (allow_mismatch): nothing to rank.
  std::vector<std::optional<double>> best;
  bool IsBest(size_t i, size_t j, int digits) const {
    return best[j] && cells[i][j].value && std::stod(Fixed(*cells[i][j].value, digits)) == *best[j];
  }
};

TableData Gather(const std::vector<json>& runs, const TableOptions& o) {
  TableData t;
  t.cols = o.columns.empty() ? DefaultColumns(runs) : o.columns;
  for (size_t i = 0; i < runs.size(); ++i) {
    t.labels.push_back(o.labels.empty() ? runs[i]["checkpoint"]["spec"].value(
                                              "name", "run " + std::to_string(i + 1))
                                        : o.labels[i]);
  }
  t.cells.resize(runs.size());
  for (const auto& c : t.cols) {
    std::vector<size_t> with;  // the runs with a value in this column
    for (size_t i = 0; i < runs.size(); ++i) {
      t.cells[i].push_back(Lookup(runs[i], c));
      if (t.cells[i].back().value) with.push_back(i);
    }
    if (with.empty())
      throw Error("table: no run has the key '" + c +
                  "' (aggregate key, metric.key or probe.variant)");
    const auto mismatch = Mismatch(runs, t.labels, with, c);
    if (mismatch && !o.allow_mismatch) throw Error(*mismatch);
    t.dirs.push_back(Direction(runs[with.front()], c));
    // The best value (ties: all bold), at the printed precision.
    std::optional<double> best;
    for (size_t i : with) {
      const double v = std::stod(Fixed(*t.cells[i].back().value, o.digits));
      if (!best || (t.dirs.back() == "lower_is_better" ? v < *best : v > *best)) best = v;
    }
    t.best.push_back(with.size() > 1 && !mismatch ? best : std::nullopt);
  }
  return t;
}

std::string CsvTable(const TableData& t) {
  std::ostringstream out;
  out << "run";
  for (const auto& c : t.cols) out << "," << CsvField(c) << "," << CsvField(c + "_ci95_half_width");
  out << "\n";
  for (size_t i = 0; i < t.labels.size(); ++i) {
    out << CsvField(t.labels[i]);
    for (const auto& cell : t.cells[i]) {
      out << ",";
      if (cell.value) out << Fixed(*cell.value, 10);
      out << ",";
      if (cell.half_width) out << Fixed(*cell.half_width, 10);
    }
    out << "\n";
  }
  return out.str();
}

// A LaTeX or Markdown cell: the value, ± its interval's half-width, bold when best.
std::string CellText(const TableData& t, size_t i, size_t j, const TableOptions& o, bool latex) {
  const Cell& c = t.cells[i][j];
  if (!c.value) return latex ? "--" : "-";
  std::string v = Fixed(*c.value, o.digits);
  if (o.intervals && c.half_width)
    v += (latex ? " $\\pm$ " : " ± ") + Fixed(*c.half_width, o.digits);
  if (t.IsBest(i, j, o.digits)) v = latex ? "\\textbf{" + v + "}" : "**" + v + "**";
  return v;
}

std::string Arrow(const std::string& direction, bool latex) {
  if (latex) return direction == "lower_is_better" ? " $\\downarrow$" : " $\\uparrow$";
  return direction == "lower_is_better" ? " ↓" : " ↑";
}

// A tabular body that compiles with plain LaTeX (no packages); \input it inside a table.
std::string LatexTable(const TableData& t, const TableOptions& o) {
  std::ostringstream out;
  out << "\\begin{tabular}{l" << std::string(t.cols.size(), 'r') << "}\n\\hline\nRun";
  for (size_t j = 0; j < t.cols.size(); ++j)
    out << " & " << LatexEscape(t.cols[j]) << Arrow(t.dirs[j], true);
  out << " \\\\\n\\hline\n";
  for (size_t i = 0; i < t.labels.size(); ++i) {
    out << LatexEscape(t.labels[i]);
    for (size_t j = 0; j < t.cols.size(); ++j) out << " & " << CellText(t, i, j, o, true);
    out << " \\\\\n";
  }
  out << "\\hline\n\\end{tabular}\n";
  return out.str();
}

std::string MarkdownTableOf(const TableData& t, const TableOptions& o) {
  std::vector<MarkdownTable::Column> columns = {{"Run"}};
  for (size_t j = 0; j < t.cols.size(); ++j)
    columns.push_back({t.cols[j] + Arrow(t.dirs[j], false), true});
  MarkdownTable table(columns);
  for (size_t i = 0; i < t.labels.size(); ++i) {
    std::vector<std::string> row = {t.labels[i]};
    for (size_t j = 0; j < t.cols.size(); ++j) row.push_back(CellText(t, i, j, o, false));
    table.Row(std::move(row));
  }
  return table.str();
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
  const TableData t = Gather(runs, o);
  if (o.format == "csv") return CsvTable(t);
  if (o.format == "latex") return LatexTable(t, o);
  return MarkdownTableOf(t, o);
}

}  // namespace ncb

// The views of finished runs: `report` (HTML from report.json), `compare` (two runs, paired
// bootstrap, the CI gate) and `table` (paper tables).
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/cli/commands.h"
#include "core/errors.h"
#include "reports/compare.h"
#include "reports/html/html_report.h"
#include "reports/report.h"
#include "reports/table.h"

namespace ncb::cli {
namespace fs = std::filesystem;

namespace {

// report: the HTML report of a finished run
void AddReportCommand(CLI::App& app, Runner* run) {
  auto* cmd =
      app.add_subcommand("report", "Write the HTML report of a finished run from its report.json");
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("REPORT", *in, "report.json (its strips/ folder beside it)")->required();
  cmd->add_option("--out", *out, "HTML file (default: report.html beside the report)");
  cmd->callback([=] {
    *run = [=] {
      const auto r = ReadReportFile(*in);
      const fs::path dir = fs::path(*in).parent_path();
      const fs::path html = out->empty() ? dir / "report.html" : fs::path(*out);
      WriteHtmlReport(r, dir, html);
      std::cout << "html: " << html.string() << "\n";
      return 0;
    };
  });
}

// compare: two runs, sample by sample
void AddCompareCommand(CLI::App& app, Runner* run) {
  auto* cmd = app.add_subcommand(
      "compare",
      "Compare two runs sample by sample (paired bootstrap); exit 4 when a --fail-on gate trips");
  auto base = std::make_shared<std::string>(), neu = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>(), gates = std::make_shared<std::string>();
  auto o = std::make_shared<CompareOptions>();
  cmd->add_option("BASE", *base, "report.json of the baseline run")->required();
  cmd->add_option("NEW", *neu, "report.json of the new run")->required();
  cmd->add_option(
      "--fail-on", *gates,
      "Comma-separated KEY<T / KEY>T: fail (exit 4) when a significant change of KEY crosses T, "
      "e.g. 'ssim<-0.005,ocr_char_accuracy<-0.01,lpips>0.01'");
  cmd->add_option("--out", *out, "Folder for compare.json, compare.md and compare.html");
  cmd->add_option("--replicates", o->replicates, "Bootstrap replicates")
      ->check(CLI::Range(100, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--alpha", o->alpha, "Significance level")
      ->check(CLI::Range(1e-6, 0.5))
      ->capture_default_str();
  cmd->add_flag("--allow-mismatch", o->allow_mismatch,
                "Compare reports of different datasets, metric versions or options (the "
                "differences are recorded)");
  cmd->callback([=] {
    *run = [=] {
      CompareOptions opt = *o;
      opt.fail_on = ParseGates(*gates);
      const auto c = Compare(ReadReportFile(*base), ReadReportFile(*neu), opt);
      const std::string md = CompareMarkdown(c);
      std::cout << md;
      if (!out->empty()) {
        WriteJsonAtomic(fs::path(*out) / "compare.json", c);
        WriteFileAtomic(fs::path(*out) / "compare.md", md);
        WriteFileAtomic(fs::path(*out) / "compare.html", CompareHtml(c));
        std::cout << "\ncomparison: " << *out << "/compare.{json,md,html}\n";
      }
      return c["failed"].get<bool>() ? 4 : 0;
    };
  });
}

// table: runs as rows, keys as columns
void AddTableCommand(CLI::App& app, Runner* run) {
  auto* cmd =
      app.add_subcommand("table", "Lay runs out as a table: rows = runs, columns = metrics");
  auto runs = std::make_shared<std::vector<std::string>>();
  auto cols = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto o = std::make_shared<TableOptions>();
  cmd->add_option("RUNS", *runs, "report.json files, one row each")->required();
  cmd->add_option("--format", o->format, "markdown | latex | csv")
      ->check(CLI::IsMember({"markdown", "latex", "csv"}))
      ->capture_default_str();
  cmd->add_option(
      "--columns", *cols,
      "Comma-separated keys: aggregate keys (ssim, psnr_pooled, ocr_char_accuracy), "
      "metric.nested.key, probe.variant (arithmetic.plain); default: each metric's main key and "
      "each probe variant");
  cmd->add_option("--label", o->labels,
                  "Row label per run, in order (default: the checkpoint's name)");
  cmd->add_flag("--intervals", o->intervals,
                "Append ± the half-width of each value's 95% interval");
  cmd->add_option("--digits", o->digits, "Decimals")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  cmd->add_option("--out", *out, "Write the table to this file as well");
  cmd->add_flag("--allow-mismatch", o->allow_mismatch,
                "Lay out a column over runs of different datasets (for a probe, problem sets "
                "or screens), refused otherwise");
  cmd->callback([=] {
    *run = [=] {
      TableOptions opt = *o;
      std::stringstream ss(*cols);
      for (std::string c; std::getline(ss, c, ',');) {
        if (!c.empty()) opt.columns.push_back(c);
      }
      std::vector<nlohmann::json> reports;
      for (const auto& r : *runs) reports.push_back(ReadReportFile(r));
      const auto t = MakeTable(reports, opt);
      std::cout << t;
      if (!out->empty()) WriteFileAtomic(*out, t);
      return 0;
    };
  });
}

}  // namespace

void AddReportCommands(CLI::App& app, Runner* run) {
  AddReportCommand(app, run);
  AddCompareCommand(app, run);
  AddTableCommand(app, run);
}

}  // namespace ncb::cli

// The HTML view of a run: one self-contained file made from report.json (and the frame
// strips beside it), with no network access when opened.
//
// The C++ side condenses the report into a small view model (summary rows with intervals,
// per-frame series with bands across samples, histograms, samples ordered worst first with
// their strips inlined as base64 JPEG); reports/html/report.js draws it with plain DOM and
// SVG, and report.css styles it. Both are compiled into the binary.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace ncb {

// The view model of `report`; `report_dir` is where its strips/ folder lies.
nlohmann::json HtmlViewModel(const nlohmann::json& report, const std::filesystem::path& report_dir);

// The whole page.
std::string RenderHtmlReport(const nlohmann::json& report, const std::filesystem::path& report_dir);

// Writes the page to `path` atomically.
void WriteHtmlReport(const nlohmann::json& report, const std::filesystem::path& report_dir,
                     const std::filesystem::path& path);

// An HTML page around `body_html` with the report stylesheet (compare's page uses it).
std::string HtmlPage(const std::string& title, const std::string& body_html);

// Escapes &, <, >, " for HTML text and attributes.
std::string HtmlEscape(const std::string& s);

}  // namespace ncb

// SPDX-License-Identifier: MIT
// grade/class_report.hpp -- public.
// The class report of `conformance grade` in its three forms, all made from the same JSON
// document (schema kGradeSchema, docs/CONFORMANCE.md): report.json, report.xml (JUnit: a
// testsuite per submission, a testcase per check) and report.html (one self-contained page).
// Pure functions but write_reports(); any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/grade/options.hpp"

namespace sockcalc::grade {

inline constexpr std::string_view kGradeSchema = "sockcalc-grade/1";

/// The report's JSON document from the submissions' entries (class_run.hpp), one line.
std::string class_json(const std::vector<std::string>& entries, const GradeOptions& options);

/// One line per submission ("alice: pass, 66 of 66 checks passed") and a line of totals.
std::string class_summary(const std::string& class_json);

/// The JUnit XML of a class_json() document.
std::string class_junit(const std::string& class_json);

/// The HTML page of a class_json() document: no external resource, inline CSS and JS.
std::string class_html(const std::string& class_json);

/// `s` fit for XML 1.0 and for HTML text and attribute values: & < > " ' as entities, and a
/// control character other than newline and tab (which XML cannot hold) as the text \xHH.
std::string markup_escape(std::string_view s);

/// Whether every submission of a class_json() document was graded.
bool all_graded(const std::string& class_json);

/// Writes report.json, report.xml and report.html into `dir` (made if missing).
Status write_reports(const std::string& dir, const std::string& class_json);

}  // namespace sockcalc::grade

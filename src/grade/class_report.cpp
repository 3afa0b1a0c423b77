// SPDX-License-Identifier: MIT
// grade/class_report.cpp -- implementation of grade/class_report.hpp: the JSON document and
// the JUnit XML (report_html.cpp makes the page).
#include "sockcalc/grade/class_report.hpp"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sockcalc/core/json_text.hpp"

namespace sockcalc::grade {
namespace {

using Json = nlohmann::ordered_json;

Json limits_json(const GradeOptions& o) {
  return {{"build_seconds", o.limits.build_time.count()},
          {"total_seconds", o.limits.total_time.count()},
          {"processes", o.limits.processes},
          {"memory_bytes", o.limits.memory_bytes},
          {"open_files", o.limits.open_files},
          {"disk_bytes", o.limits.disk_bytes},
          {"cpu_seconds", o.limits.cpu_seconds},
          {"server_timeout_ms", o.server_timeout.count()},
          {"client_timeout_ms", o.client_timeout.count()}};
}

std::string attr(std::string_view name, const std::string& value) {
  return " " + std::string(name) + "=\"" + markup_escape(value) + "\"";
}

// A check's datagrams and client run as plain text: the body of its <failure>.
std::string check_text(const Json& check) {
  std::string out;
  for (const Json& d : check["datagrams"]) {
    out += d["direction"].get<std::string>() + " " + std::to_string(d["length"].get<int>()) +
           " bytes: " + d["hex"].get<std::string>() + " | " + d["meaning"].get<std::string>() +
           "\n";
  }
  if (check["client"].is_object()) {
    const Json& c = check["client"];
    std::string argv;
    for (const Json& a : c["argv"]) argv += (argv.empty() ? "" : " ") + a.get<std::string>();
    out += "command: " + argv + "\nstdout: " + c["stdout"].get<std::string>() +
           "\nstderr: " + c["stderr"].get<std::string>() + "\n";
  }
  return out;
}

std::string testcase(const std::string& suite, const std::string& mode, const Json& check) {
  const std::string status = check["status"];
  std::string out =
      "    <testcase" + attr("classname", suite + "." + mode) +
      attr("name", check["id"].get<std::string>() + " (" + check["rule"].get<std::string>() + ")") +
      ">";
  if (status == "fail") {
    const std::string broken = check["broken_rule"];
    out += "<failure" +
           attr("message", (broken.empty() ? "" : "broke " + broken + ": ") +
                               check["message"].get<std::string>()) +
           attr("type", broken.empty() ? check["rule"].get<std::string>() : broken) + ">" +
           markup_escape(check_text(check)) + "</failure>";
  } else if (status == "skip") {
    out += "<skipped" + attr("message", check["message"]) + "/>";
  } else if (status == "warn") {
    out += "<system-out>" + markup_escape("WARN: " + check["message"].get<std::string>()) +
           "</system-out>";
  }
  return out + "</testcase>\n";
}

std::string testsuite(const Json& s) {
  const std::string name = s["name"];
  std::string cases;
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  if (!s["graded"].get<bool>()) {
    cases += "    <testcase" + attr("classname", name) + attr("name", "grading") + "><error" +
             attr("message", s["reason"]) + "/></testcase>\n";
    tests = errors = 1;
  } else {
    const Json& b = s["build"];
    const bool built = b["status"] == "ok";
    cases += "    <testcase" + attr("classname", name) + attr("name", "build") +
             attr("time", std::to_string(b["seconds"].get<double>())) + ">" +
             (built ? ""
                    : "<failure" + attr("message", "build " + b["status"].get<std::string>()) +
                          ">" + markup_escape(b["output"].get<std::string>()) + "</failure>") +
             "</testcase>\n";
    ++tests;
    failures += built ? 0 : 1;
    for (const char* mode : {"server", "client"}) {
      for (const Json& c : s[std::string(mode) + "_checks"]["checks"]) {
        cases += testcase(name, mode, c);
        ++tests;
        failures += c["status"] == "fail" ? 1 : 0;
        skipped += c["status"] == "skip" ? 1 : 0;
      }
    }
  }
  std::string notes;
  for (const Json& n : s["notes"]) notes += n.get<std::string>() + "\n";
  return "  <testsuite" + attr("name", name) + attr("tests", std::to_string(tests)) +
         attr("failures", std::to_string(failures)) + attr("errors", std::to_string(errors)) +
         attr("skipped", std::to_string(skipped)) +
         attr("time", std::to_string(s["seconds"].get<double>())) + ">\n    <properties>" +
         "<property" + attr("name", "path") + attr("value", s["path"]) + "/></properties>\n" +
         cases + "    <system-out>" + markup_escape(notes) + "</system-out>\n  </testsuite>\n";
}

Status write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return errno_error(errno, "cannot write " + path.string());
  return Ok{};
}

}  // namespace

std::string markup_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') {
          out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string class_json(const std::vector<std::string>& entries, const GradeOptions& options) {
  Json submissions = Json::array();
  std::size_t graded = 0;
  std::size_t passed = 0;
  for (const std::string& e : entries) {
    Json s = Json::parse(e);
    graded += s["graded"].get<bool>() ? 1 : 0;
    passed += s["result"] == "pass" ? 1 : 0;
    submissions.push_back(std::move(s));
  }
  Json checks = Json::array();
  for (const char* mode : {"server", "client"}) {
    for (const Json& s : submissions) {
      const Json& r = s[std::string(mode) + "_checks"];
      if (!r.is_object()) continue;
      for (const Json& c : r["checks"]) {
        checks.push_back(
            {{"mode", mode}, {"id", c["id"]}, {"rule", c["rule"]}, {"title", c["title"]}});
      }
      break;
    }
  }
  const Json doc = {{"schema", kGradeSchema},
                    {"result", graded == entries.size() ? "graded" : "not_graded"},
                    {"summary",
                     {{"submissions", entries.size()},
                      {"graded", graded},
                      {"passed", passed},
                      {"failed", graded - passed},
                      {"not_graded", entries.size() - graded}}},
                    {"limits", limits_json(options)},
                    {"checks", std::move(checks)},
                    {"submissions", std::move(submissions)}};
  return json_text(doc);
}

std::string class_summary(const std::string& class_json) {
  const Json doc = Json::parse(class_json);
  std::string out;
  for (const Json& s : doc["submissions"]) {
    out += s["path"].get<std::string>() + ": ";
    if (!s["graded"].get<bool>()) {
      out += "not graded: " + s["reason"].get<std::string>() + "\n";
      continue;
    }
    out += s["result"].get<std::string>() + ", " + std::to_string(s["summary"]["pass"].get<int>()) +
           " of " + std::to_string(s["summary"]["checks"].get<int>()) + " checks passed, " +
           std::to_string(s["summary"]["warn"].get<int>()) + " warnings";
    for (const Json& n : s["notes"]) out += "; " + n.get<std::string>();
    out += "\n";
  }
  const Json& t = doc["summary"];
  return out + std::to_string(t["submissions"].get<int>()) +
         " submissions: " + std::to_string(t["passed"].get<int>()) + " passed, " +
         std::to_string(t["failed"].get<int>()) + " failed, " +
         std::to_string(t["not_graded"].get<int>()) + " not graded\n";
}

bool all_graded(const std::string& class_json) {
  return Json::parse(class_json)["result"] == "graded";
}

std::string class_junit(const std::string& class_json) {
  const Json doc = Json::parse(class_json);
  std::string suites;
  for (const Json& s : doc["submissions"]) suites += testsuite(s);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" +
         attr("name", "conformance grade") + ">\n" + suites + "</testsuites>\n";
}

Status write_reports(const std::string& dir, const std::string& class_json) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{ec, "cannot make " + dir};
  const std::filesystem::path d(dir);
  if (auto st = write_file(d / "report.json", class_json); !st) return st;
  if (auto st = write_file(d / "report.xml", class_junit(class_json)); !st) return st;
  return write_file(d / "report.html", class_html(class_json));
}

}  // namespace sockcalc::grade

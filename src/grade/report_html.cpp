// SPDX-License-Identifier: MIT
// grade/report_html.cpp -- class_html() of grade/class_report.hpp: one self-contained page, a
// row per submission and a column per check; a failure opens (<details>) to the rule broken
// and the bytes exchanged; a click on a header sorts by that column (inline JS, which also
// counts the cells and shows the totals, and sorts at load by #sort=COLUMN).
#include <string>

#include <nlohmann/json.hpp>

#include "sockcalc/grade/class_report.hpp"

namespace sockcalc::grade {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kStyle = R"(<style>
body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:2px 4px;vertical-align:top;font-size:12px}
th{cursor:pointer;background:#eee;writing-mode:vertical-rl;white-space:nowrap}
th.name,th.result{writing-mode:horizontal-tb}
.pass{background:#cfc}.warn{background:#ffc}.fail{background:#fcc}.skip{background:#ddd}
.not_graded{background:#f99}pre{white-space:pre-wrap;max-width:60em;font-size:11px}
</style>)";

constexpr const char* kScript = R"(<script>
"use strict";
function cellKey(row, col) {
  const c = row.cells[col];
  return c.dataset.sort !== undefined ? c.dataset.sort : c.textContent.trim();
}
function sortBy(col, descending) {
  const body = document.getElementById("rows");
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellKey(a, col), y = cellKey(b, col);
    const nx = Number(x), ny = Number(y);
    const r = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
    return descending ? -r : r;
  });
  rows.forEach(r => body.appendChild(r));
  document.body.dataset.sorted = document.getElementById("head").rows[0].cells[col].dataset.col;
}
function count() {
  const rows = document.getElementById("rows").rows;
  let graded = 0, passed = 0, failedCells = 0;
  for (const r of rows) {
    if (r.dataset.graded === "true") graded++;
    if (r.dataset.result === "pass") passed++;
    failedCells += r.querySelectorAll("td.check.fail").length;
  }
  const totals = document.getElementById("totals");
  totals.textContent = rows.length + " submissions, " + graded + " graded, " + passed +
      " passed, " + (graded - passed) + " failed, " + (rows.length - graded) +
      " not graded; " + failedCells + " failed checks";
  totals.dataset.submissions = rows.length;
  totals.dataset.graded = graded;
  totals.dataset.passed = passed;
  totals.dataset.failedChecks = failedCells;
}
const heads = document.getElementById("head").rows[0].cells;
for (let i = 0; i < heads.length; i++) {
  heads[i].addEventListener("click", () => {
    const desc = heads[i].dataset.order === "asc";
    heads[i].dataset.order = desc ? "desc" : "asc";
    sortBy(i, desc);
  });
}
count();
const wanted = /^#sort=(.+)$/.exec(location.hash);
if (wanted) {
  for (let i = 0; i < heads.length; i++) {
    if (heads[i].dataset.col === decodeURIComponent(wanted[1])) sortBy(i, false);
  }
}
document.body.dataset.ready = "yes";
</script>)";

std::string details_text(const Json& check) {
  std::string out = check["message"].get<std::string>();
  if (!check["broken_rule"].get<std::string>().empty()) {
    out = "broke " + check["broken_rule"].get<std::string>() + ": " + out;
  }
  out += "\n";
  for (const Json& d : check["datagrams"]) {
    out += d["direction"].get<std::string>() + " " + std::to_string(d["length"].get<int>()) +
           " bytes: " + d["hex"].get<std::string>() + " | " + d["meaning"].get<std::string>() +
           "\n";
  }
  if (check["client"].is_object()) {
    std::string argv;
    for (const Json& a : check["client"]["argv"]) {
      argv += (argv.empty() ? "" : " ") + a.get<std::string>();
    }
    out += "command: " + argv + "\nstdout: " + check["client"]["stdout"].get<std::string>() +
           "\nstderr: " + check["client"]["stderr"].get<std::string>();
  }
  return out;
}

std::string check_cell(const Json& check) {
  const std::string status = check["status"];
  std::string label = status;
  for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (status == "pass") return "<td class=\"check pass\">PASS</td>";
  return "<td class=\"check " + status + "\"><details><summary>" + label + "</summary><pre>" +
         markup_escape(details_text(check)) + "</pre></details></td>";
}

std::string row(const Json& s, const Json& columns) {
  const std::string result = s["result"];
  std::string out = "<tr class=\"submission\" data-graded=\"" +
                    std::string(s["graded"].get<bool>() ? "true" : "false") + "\" data-result=\"" +
                    result + "\"><td>" + markup_escape(s["name"].get<std::string>()) +
                    "</td><td class=\"" + result + "\">";
  std::string notes = s["graded"].get<bool>() ? "" : s["reason"].get<std::string>() + "\n";
  for (const Json& n : s["notes"]) notes += n.get<std::string>() + "\n";
  if (s["build"].is_object()) notes += "build output:\n" + s["build"]["output"].get<std::string>();
  if (s["server"].is_object() && !s["server"]["output"].get<std::string>().empty()) {
    notes += "\nserver output:\n" + s["server"]["output"].get<std::string>();
  }
  out += "<details><summary>" + markup_escape(result) + "</summary><pre>" + markup_escape(notes) +
         "</pre></details></td>";
  out += "<td data-sort=\"" + std::to_string(s["summary"]["fail"].get<int>()) + "\">" +
         std::to_string(s["summary"]["pass"].get<int>()) + "/" +
         std::to_string(s["summary"]["checks"].get<int>()) + "</td>";
  const std::string build = s["build"].is_object() ? s["build"]["status"].get<std::string>() : "";
  out += "<td class=\"" + std::string(build == "ok" ? "pass" : "fail") + "\">" +
         markup_escape(build) + "</td>";
  for (const Json& col : columns) {
    const Json& r = s[col["mode"].get<std::string>() + "_checks"];
    const Json* found = nullptr;
    if (r.is_object()) {
      for (const Json& c : r["checks"]) {
        if (c["id"] == col["id"]) found = &c;
      }
    }
    out += found != nullptr ? check_cell(*found) : "<td class=\"check not_graded\"></td>";
  }
  return out + "</tr>\n";
}

}  // namespace

std::string class_html(const std::string& class_json) {
  const Json doc = Json::parse(class_json);
  std::string head =
      "<tr><th class=\"name\" data-col=\"name\">submission</th><th class=\"result\" "
      "data-col=\"result\">result</th><th data-col=\"fail\" title=\"checks passed; sorts by "
      "failures\">passed</th><th data-col=\"build\">build</th>";
  for (const Json& c : doc["checks"]) {
    const std::string col = c["mode"].get<std::string>() + ":" + c["id"].get<std::string>();
    head += "<th data-col=\"" + markup_escape(col) + "\" title=\"" +
            markup_escape(c["rule"].get<std::string>() + " " + c["title"].get<std::string>()) +
            "\">" + markup_escape(col) + "</th>";
  }
  std::string rows;
  for (const Json& s : doc["submissions"]) rows += row(s, doc["checks"]);
  return std::string("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">") +
         "<title>conformance grade</title>" + kStyle + "</head><body>\n" +
         "<h1>conformance grade</h1>\n<p id=\"totals\"></p>\n<table><thead id=\"head\">" + head +
         "</tr></thead><tbody id=\"rows\">\n" + rows + "</tbody></table>\n" + kScript +
         "</body></html>\n";
}

}  // namespace sockcalc::grade

// SPDX-License-Identifier: MIT
// grade/submission.hpp -- internal to src/grade.
// One submission graded inside its jail: copied, built with `make`, its ./server started and
// checked, its ./client checked, everything of it killed; the outcome as one JSON object (a
// "submissions" entry of docs/CONFORMANCE.md's report.json). Runs in the jail's pid 1,
// single-threaded.
#pragma once

#include <sys/types.h>

#include <string>

#include "sockcalc/grade/options.hpp"

namespace sockcalc::grade {

/// Makes the jail (jail.hpp), then grades the submission at `source` as `uid`. Returns the
/// JSON object as one line of text; when the jail cannot be made, an entry not graded.
std::string grade_in_jail(const std::string& source, uid_t uid, const GradeOptions& options);

/// The entry of a submission that could not be graded, with `reason` (one sentence).
std::string not_graded(const std::string& source, const std::string& reason);

}  // namespace sockcalc::grade

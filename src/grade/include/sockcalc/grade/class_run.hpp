// SPDX-License-Identifier: MIT
// grade/class_run.hpp -- public.
// Grading a class: every submission in a process of its own, in new mount, network and pid
// namespaces, as its slot's user id, up to `jobs` at once, each ended (with everything it
// started) at its time limit. Call from a single-threaded process running as root.
#pragma once

#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/grade/options.hpp"

namespace sockcalc::grade {

/// Why grading cannot start at all: not root, a slot's user id belongs to a user of this
/// machine. Ok when it can.
Status can_grade(const GradeOptions& options);

/// Grades every submission (a directory path each) and returns their report entries, in the
/// order given, each one line of JSON (submission.hpp). A submission that could not be graded
/// (its sandbox failed, it outlived its time limit) has an entry saying why.
std::vector<std::string> grade_class(const std::vector<std::string>& submissions,
                                     const GradeOptions& options);

}  // namespace sockcalc::grade

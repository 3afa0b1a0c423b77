// SPDX-License-Identifier: MIT
// tests/unit/cpus_test.cpp -- unit tests of core/cpus.hpp.
// cgroup v2 cpu.max and /proc/self/cgroup contents, as the kernel writes them. Test thread only.
#include "sockcalc/core/cpus.hpp"

#include <gtest/gtest.h>

namespace sockcalc {
namespace {

TEST(CpuMax, NoQuotaIsNoLimit) {
  EXPECT_EQ(cpus_of_cpu_max("max 100000\n"), std::nullopt);
  EXPECT_EQ(cpus_of_cpu_max("max 100000"), std::nullopt);
}

TEST(CpuMax, AQuotaIsRoundedUpToWholeCpus) {
  EXPECT_EQ(cpus_of_cpu_max("150000 100000\n"), 2);
  EXPECT_EQ(cpus_of_cpu_max("50000 100000\n"), 1);
  EXPECT_EQ(cpus_of_cpu_max("200000 100000"), 2);
  EXPECT_EQ(cpus_of_cpu_max("1000 100000"), 1);
  EXPECT_EQ(cpus_of_cpu_max("400000 50000"), 8);
}

TEST(CpuMax, AnythingElseIsNoQuota) {
  for (const char* text :
       {"", "\n", "100000", "-1 100000", "150000 0", "abc 100000", "150000 100000 7"}) {
    EXPECT_EQ(cpus_of_cpu_max(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(CgroupPath, TheUnifiedLineGivesThePath) {
  EXPECT_EQ(unified_cgroup_path("0::/system.slice/sockcalc.service\n"),
            "/system.slice/sockcalc.service");
  // Hybrid layout: the v1 controllers first, the unified hierarchy last.
  EXPECT_EQ(unified_cgroup_path("4:memory:/user\n1:cpu:/\n0::/user.slice\n"), "/user.slice");
  EXPECT_EQ(unified_cgroup_path("4:memory:/user\n1:cpu:/\n"), std::nullopt);
}

TEST(UsableCpus, AtLeastOne) { EXPECT_GE(usable_cpus(), 1); }

}  // namespace
}  // namespace sockcalc

// SPDX-License-Identifier: MIT
// tests/deploy/kubernetes_manifest_test.cpp -- internal to tests/deploy.
// Every manifest of deploy/kubernetes, parsed with yaml-cpp (no cluster runs here), checked
// where it must agree with the image, the programs and the worker-count rule: known kinds, the
// UDP port, the Service's protocol and selector, the image's numeric user, the privileges, the
// CPU limit, and the exec probes, whose exact command lines are run against a real server on
// loopback (its free port in place of the course's). Test thread only.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"
#include "sockcalc/core/cpus.hpp"
#include "support/netlab.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

namespace fs = std::filesystem;

const fs::path kManifestDir = fs::path(SOCKCALC_SOURCE_DIR) / "deploy" / "kubernetes";
const fs::path kContainerfile = fs::path(SOCKCALC_SOURCE_DIR) / "Containerfile";
// Where the image holds the programs (Containerfile, scripts/build-image.sh).
const std::string kImageClient = "/usr/bin/sockcalc-client";
// The CFS period kubelet gives every container (--cpu-cfs-quota-period's default, 100 ms): a
// CPU limit of L millicores becomes cpu.max "L*100 100000".
constexpr long kCfsPeriodUs = 100000;

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Manifest {
  fs::path file;
  YAML::Node doc;
};

// Every document of every .yaml/.yml file of deploy/kubernetes, in file name order.
std::vector<Manifest> load_manifests() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kManifestDir)) {
    const auto ext = entry.path().extension();
    if (ext == ".yaml" || ext == ".yml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Manifest> out;
  for (const auto& f : files) {
    for (const YAML::Node& doc : YAML::LoadAllFromFile(f.string())) {
      if (!doc.IsNull()) out.push_back({f, doc});
    }
  }
  return out;
}

std::vector<std::string> strings_of(const YAML::Node& seq) {
  std::vector<std::string> out;
  for (const auto& item : seq) out.push_back(item.as<std::string>());
  return out;
}

std::map<std::string, std::string> labels_of(const YAML::Node& map) {
  std::map<std::string, std::string> out;
  for (const auto& kv : map) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

// Whether every label of `wanted` is in `have` with the same value.
bool selects(const std::map<std::string, std::string>& wanted,
             const std::map<std::string, std::string>& have) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& kv) {
    const auto it = have.find(kv.first);
    return it != have.end() && it->second == kv.second;
  });
}

// A Kubernetes CPU quantity ("2", "1500m", "0.5") in millicores; nullopt when not one.
std::optional<long> millicores(const std::string& q) {
  static const std::regex kMilli("([0-9]+)m");
  static const std::regex kCores("([0-9]+)(\\.([0-9]{1,3}))?");
  std::smatch m;
  if (std::regex_match(q, m, kMilli)) return std::stol(m[1]);
  if (std::regex_match(q, m, kCores)) {
    std::string frac = m[3].str();
    frac.resize(3, '0');
    return std::stol(m[1]) * 1000 + std::stol(frac);
  }
  return std::nullopt;
}

// The value of option `name` in `args` ("--timeout", "200"), or nullopt.
std::optional<std::string> option_value(const std::vector<std::string>& args,
                                        const std::string& name) {
  const auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end() || std::next(it) == args.end()) return std::nullopt;
  return *std::next(it);
}

class KubernetesManifests : public ::testing::Test {
 protected:
  void SetUp() override {
    manifests_ = load_manifests();
    ASSERT_FALSE(manifests_.empty()) << "no manifest in " << kManifestDir;
  }

  // The one document of `kind`; fails the test unless there is exactly one.
  YAML::Node only(const std::string& kind) const {
    std::vector<YAML::Node> found;
    for (const auto& m : manifests_) {
      if (m.doc["kind"].as<std::string>("") == kind) found.push_back(m.doc);
    }
    EXPECT_EQ(found.size(), 1u) << "documents of kind " << kind;
    return found.empty() ? YAML::Node() : found.front();
  }

  YAML::Node pod_spec() const { return only("Deployment")["spec"]["template"]["spec"]; }

  // The server container: the Deployment's only one.
  YAML::Node container() const {
    const YAML::Node containers = pod_spec()["containers"];
    EXPECT_TRUE(containers.IsSequence() && containers.size() == 1u) << "one container";
    return containers.IsSequence() && containers.size() > 0 ? containers[0] : YAML::Node();
  }

  // The container's UDP port: the course's.
  int udp_port() const {
    for (const auto& p : container()["ports"]) {
      if (p["protocol"].as<std::string>("TCP") == "UDP") return p["containerPort"].as<int>();
    }
    return -1;
  }

  std::vector<std::string> server_args() const { return strings_of(container()["args"]); }

  // The server's arguments made safe for this host: loopback instead of every address, free
  // ports instead of the container's.
  std::vector<std::string> server_args_on_loopback() const {
    std::vector<std::string> args = server_args();
    std::replace(args.begin(), args.end(), std::string("::"), std::string("::1"));
    std::replace(args.begin(), args.end(), std::to_string(udp_port()), std::string("0"));
    const auto metrics = std::find(args.begin(), args.end(), "--metrics");
    if (metrics != args.end() && std::next(metrics) != args.end()) *std::next(metrics) = "[::1]:0";
    return args;
  }

  std::vector<Manifest> manifests_;
};

TEST_F(KubernetesManifests, EveryDocumentIsAKindWeKnowWithItsApiVersion) {
  const std::map<std::string, std::string> known = {{"Deployment", "apps/v1"}, {"Service", "v1"}};
  for (const auto& m : manifests_) {
    const std::string kind = m.doc["kind"].as<std::string>("");
    ASSERT_TRUE(known.contains(kind)) << m.file << ": kind '" << kind << "'";
    EXPECT_EQ(m.doc["apiVersion"].as<std::string>(""), known.at(kind)) << m.file;
    EXPECT_FALSE(m.doc["metadata"]["name"].as<std::string>("").empty()) << m.file;
  }
}

TEST_F(KubernetesManifests, ServerListensOnTheCoursePortOverUdp) {
  const YAML::Node c = container();
  EXPECT_EQ(udp_port(), 10000);
  for (const auto& p : c["ports"]) {
    if (p["containerPort"].as<int>() == udp_port()) {
      EXPECT_EQ(p["protocol"].as<std::string>(""), "UDP");
    }
  }
  // The arguments end with the address and port: every address, the port the container
  // declares.
  const auto args = server_args();
  ASSERT_GE(args.size(), 2u);
  EXPECT_EQ(std::vector<std::string>(args.end() - 2, args.end()),
            (std::vector<std::string>{"::", std::to_string(udp_port())}));
}

// With --metrics, the container declares its TCP port, and the pod's annotations name it.
TEST_F(KubernetesManifests, MetricsPortIsDeclaredAndAnnounced) {
  const auto value = option_value(server_args(), "--metrics");
  if (!value) GTEST_SKIP() << "the Deployment does not pass --metrics";
  const std::string port = value->substr(value->rfind(':') + 1);
  bool declared = false;
  for (const auto& p : container()["ports"]) {
    if (p["containerPort"].as<std::string>("") == port) {
      declared = true;
      EXPECT_EQ(p["protocol"].as<std::string>("TCP"), "TCP");
    }
  }
  EXPECT_TRUE(declared) << "no container port " << port;
  const YAML::Node annotations = only("Deployment")["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/port"].as<std::string>(""), port);
  EXPECT_EQ(annotations["prometheus.io/path"].as<std::string>(""), "/metrics");
}

TEST_F(KubernetesManifests, ServiceIsUdpAndSelectsTheDeploymentsPods) {
  const YAML::Node service = only("Service");
  const YAML::Node deployment = only("Deployment");
  const auto pod_labels = labels_of(deployment["spec"]["template"]["metadata"]["labels"]);
  const auto selector = labels_of(service["spec"]["selector"]);
  ASSERT_FALSE(selector.empty());
  EXPECT_TRUE(selects(selector, pod_labels));
  EXPECT_TRUE(selects(labels_of(deployment["spec"]["selector"]["matchLabels"]), pod_labels));

  std::set<std::string> port_names;
  for (const auto& p : container()["ports"]) port_names.insert(p["name"].as<std::string>(""));
  ASSERT_TRUE(service["spec"]["ports"].IsSequence());
  for (const auto& p : service["spec"]["ports"]) {
    EXPECT_EQ(p["protocol"].as<std::string>(""), "UDP");  // absent means TCP
    EXPECT_EQ(p["port"].as<int>(), 10000);
    const std::string target = p["targetPort"].as<std::string>("");
    EXPECT_TRUE(port_names.contains(target) || target == std::to_string(udp_port()))
        << "targetPort " << target;
  }
}

TEST_F(KubernetesManifests, RunsAsTheImagesUserWithNoPrivilege) {
  std::smatch m;
  const std::string containerfile = read_text(kContainerfile);
  static const std::regex kUser("\nUSER ([0-9]+):([0-9]+)\n");
  ASSERT_TRUE(std::regex_search(containerfile, m, kUser)) << "no numeric USER in Containerfile";
  const YAML::Node pod = pod_spec()["securityContext"];
  EXPECT_TRUE(pod["runAsNonRoot"].as<bool>(false));
  EXPECT_EQ(pod["runAsUser"].as<std::string>(""), m[1].str());
  EXPECT_EQ(pod["runAsGroup"].as<std::string>(""), m[2].str());

  const YAML::Node c = container()["securityContext"];
  EXPECT_FALSE(c["allowPrivilegeEscalation"].as<bool>(true));
  EXPECT_TRUE(c["readOnlyRootFilesystem"].as<bool>(false));
  EXPECT_EQ(strings_of(c["capabilities"]["drop"]), std::vector<std::string>{"ALL"});
  EXPECT_FALSE(c["privileged"].as<bool>(false));
}

// The server's worker count comes from its cgroup's cpu.max
// (src/core/include/sockcalc/core/cpus.hpp); the limit must be whole CPUs (1.5 CPUs would start 2
// workers sharing 1.5), requested in full, and the count the manifest's comment announces must be
// the one the server computes.
TEST_F(KubernetesManifests, CpuLimitIsTheWorkerCount) {
  const YAML::Node resources = container()["resources"];
  const std::string limit = resources["limits"]["cpu"].as<std::string>("");
  const auto milli = millicores(limit);
  ASSERT_TRUE(milli.has_value()) << "limits.cpu '" << limit << "'";
  EXPECT_EQ(millicores(resources["requests"]["cpu"].as<std::string>("")), milli);
  EXPECT_EQ(*milli % 1000, 0) << "a fraction of a CPU: " << limit;

  const std::string cpu_max =
      std::to_string(*milli * kCfsPeriodUs / 1000) + " " + std::to_string(kCfsPeriodUs);
  const auto workers = cpus_of_cpu_max(cpu_max);
  ASSERT_TRUE(workers.has_value()) << cpu_max;
  EXPECT_EQ(*workers, *milli / 1000);

  const std::string text = read_text(kManifestDir / "deployment.yaml");
  static const std::regex kClaim("so ([0-9]+) workers");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, kClaim)) << "deployment.yaml names no worker count";
  EXPECT_EQ(m[1].str(), std::to_string(*workers));
  const auto args = strings_of(container()["args"]);
  EXPECT_EQ(std::count(args.begin(), args.end(), "--threads"), 0) << "the quota sets it";
}

// The server takes the Deployment's arguments (on loopback, with free ports). Each probe's
// command is the image's client with arguments the client accepts: run as it is (the build's
// client in place of /usr/bin/sockcalc-client, the server's free port in place of the
// container's), it exits 0 while that server answers and 4 (no reply) once it stopped. Its
// longest wait (every try timed out) is within the probe's timeoutSeconds.
TEST_F(KubernetesManifests, ProbesRunTheClientAndSayWhetherTheServerAnswers) {
  const std::string port = std::to_string(udp_port());
  auto started = start_server(server_args_on_loopback());
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<ServerProcess> server = std::move(*started);
  if (option_value(server_args(), "--metrics")) {
    EXPECT_THAT(server->process().err(), HasSubstr("metrics on [::1]:")) << server->report();
  }

  std::vector<std::vector<std::string>> commands;
  for (const char* name : {"livenessProbe", "readinessProbe"}) {
    const YAML::Node probe = container()[name];
    ASSERT_TRUE(probe["exec"]["command"].IsSequence()) << name << " is not an exec probe";
    std::vector<std::string> command = strings_of(probe["exec"]["command"]);
    ASSERT_FALSE(command.empty());
    EXPECT_EQ(command.front(), kImageClient) << name;
    std::vector<std::string> args(command.begin() + 1, command.end());
    ASSERT_EQ(std::count(args.begin(), args.end(), port), 1) << name << ": one port " << port;
    std::replace(args.begin(), args.end(), port, server->port_arg());

    const RunResult up = run_client(args);
    EXPECT_TRUE(up.status.exited_with(kClientOk)) << name << "\n" << up.report;
    EXPECT_TRUE(up.out.starts_with("Result: ")) << up.report;

    // Tries: 1 + --retries; waits: --timeout, doubling up to --max-timeout (client --help).
    const long timeout = std::stol(option_value(args, "--timeout").value_or("250"));
    const long max_timeout = std::stol(option_value(args, "--max-timeout").value_or("1000"));
    const long retries = std::stol(option_value(args, "--retries").value_or("7"));
    long longest = 0;
    for (long i = 0, wait = timeout; i <= retries; ++i, wait = std::min(wait * 2, max_timeout)) {
      longest += wait;
    }
    EXPECT_LT(longest, probe["timeoutSeconds"].as<long>(1) * 1000) << name;
    commands.push_back(args);
  }

  ASSERT_TRUE(server->stop(SIGTERM)) << server->report();
  for (const auto& args : commands) {
    const RunResult down = run_client(args);
    EXPECT_TRUE(down.status.exited_with(kClientNoReply)) << down.report;
  }
}

// In a network namespace of its own, where the course's ports are free to take, the server runs
// with the Deployment's arguments exactly as written, and each probe's command, as written (the
// build's client in place of the image's), gets its answer.
TEST_F(KubernetesManifests, ServerAndProbesRunAsWrittenInANamespace) {
  SOCKCALC_REQUIRE_NETNS_OR_SKIP();
  auto made = testing::NetLab::create();
  ASSERT_TRUE(made.ok()) << made.error().message();
  std::unique_ptr<testing::NetLab> lab = std::move(*made);
  ASSERT_TRUE(lab->add_host("pod").ok());
  auto started = lab->start_server("pod", SOCKCALC_SERVER_BIN, server_args());
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<ServerProcess> server = std::move(*started);
  EXPECT_EQ(server->port(), udp_port());

  for (const char* name : {"livenessProbe", "readinessProbe"}) {
    std::vector<std::string> command = strings_of(container()[name]["exec"]["command"]);
    ASSERT_FALSE(command.empty());
    const RunResult r = lab->run("pod", SOCKCALC_CLIENT_BIN, {command.begin() + 1, command.end()});
    EXPECT_TRUE(r.status.exited_with(kClientOk)) << name << "\n" << r.report << server->report();
  }
  ASSERT_TRUE(server->stop(SIGTERM)) << server->report();
  EXPECT_TRUE(server->process().status().exited_with(kServerOk)) << server->report();
}

}  // namespace
}  // namespace sockcalc::integration

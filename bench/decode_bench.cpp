// decode_bench: throughput and memory of the Agent Activity decoder on a generated file.
//
// Generates a realistic gzip file (the real-file framing: one compact union-wrapped document per
// agent session per line, 1–20 events per session, names, employee ids, some userProfileIDs) of N
// events into a temp file, then times (1) inflate alone through content_reader and (2) the full
// decode through agent_activity::decoder, and prints peak RSS (getrusage ru_maxrss). MB = 10^6
// bytes.
//
//   decode_bench [--events N] [--level 0-9] [--keep]
#include "lpda/agent_activity/decoder.hpp"
#include "lpda/decode/content.hpp"

#include <zlib.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

// CPU seconds (user + system) of this process: robust against other load on the machine.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Deterministic generator (no <random> distribution differences between libraries).
struct lcg {
  std::uint64_t s;
  std::uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 33);
  }
  std::uint32_t below(std::uint32_t n) { return next() % n; }
};

void append_event(std::string& out, std::int64_t agent, std::int64_t ts, int type, int state,
                  int prev, int pc, int c, int max, int group, bool profiles) {
  const std::string id = std::to_string(agent);
  out += R"({"agentID":{"long":)" + id + R"(},"type":{"long":)" + std::to_string(type) +
         R"(},"state":{"long":)" + std::to_string(state) + R"(},"timestamp":{"long":)" +
         std::to_string(ts) + R"(},"prevState":{"long":)" + std::to_string(prev) +
         R"(},"agentEmployeeId":{"string":"E-)" + id + R"("},"agentUsername":{"string":"agent)" +
         id + R"("},"agentNickname":{"string":"Agent )" + id +
         R"("},"agentLoginname":{"string":"agent)" + id +
         R"(@example.com"},"prevConcurrentEng":{"long":)" + std::to_string(pc) +
         R"(},"concurrentEng":{"long":)" + std::to_string(c) + R"(},"maxConcurrentEng":{"long":)" +
         std::to_string(max) + R"(},"agentGroupID":{"long":)" + std::to_string(group) + "}";
  if (profiles) out += R"(,"userProfileIDs":{"array":[2438730312,2438730212]})";
  out += '}';
}

// Writes `events` events as gzipped NDJSON; returns the number of documents.
std::uint64_t generate(const std::filesystem::path& path, std::uint64_t events, int level) {
  const std::string mode = "wb" + std::to_string(level);
  gzFile gz = gzopen(path.c_str(), mode.c_str());
  if (gz == nullptr) {
    std::perror("gzopen");
    std::exit(1);
  }
  gzbuffer(gz, 256 * 1024);
  lcg rng{42};
  std::string line;
  std::uint64_t written = 0;
  std::uint64_t documents = 0;
  const std::int64_t hour = 1767258000000;
  while (written < events) {
    const auto n = std::min<std::uint64_t>(1 + rng.below(20), events - written);
    const std::int64_t agent = 1000 + rng.below(5000);
    const int group = static_cast<int>(rng.below(50));
    const bool profiles = rng.below(4) == 0;
    std::int64_t ts = hour + rng.below(3'600'000);
    line.clear();
    line +=
        R"({"dataType":{"com.liveperson.dataaccess.DataTypeEnum":"AgentActivity"},"metaData":{"com.liveperson.dataaccess.MetaData":{"accountId":{"string":"12345678"},"schemaVersion":"1.0.0.4","startTime":{"long":)" +
        std::to_string(ts) + R"(},"endTime":{"long":)" + std::to_string(ts + 3'600'000) +
        R"(}}},"recordCollection":{"array":[{"body":{"com.liveperson.dataaccess.AgentActivityData":{"header":{"com.liveperson.dataaccess.AgentHeader":{"agentSessionId":{"string":"12345678-)" +
        std::to_string(documents + 1) + R"("}}},"agentSessionsData":{"array":[)";
    int state = 1;
    int conc = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i) line += ',';
      const int prev = state;
      const int prev_conc = conc;
      int type = 1;
      if (i == 0) {
        type = 3;
        state = 2;
      } else if (i + 1 == n) {
        type = 4;
        state = 1;
        conc = 0;
      } else if (rng.below(3) == 0) {
        type = 2;
        state = 2 + static_cast<int>(rng.below(3));
      } else {
        conc = static_cast<int>(rng.below(4));
      }
      append_event(line, agent, ts, type, state, prev, prev_conc, conc,
                   (type == 3 || type == 4) ? -9 : 3, group, profiles);
      ts += rng.below(600'000);
    }
    line += "]}}}}]}}\n";
    if (gzwrite(gz, line.data(), static_cast<unsigned>(line.size())) !=
        static_cast<int>(line.size())) {
      std::fprintf(stderr, "gzwrite failed\n");
      std::exit(1);
    }
    written += n;
    ++documents;
  }
  if (gzclose(gz) != Z_OK) {
    std::fprintf(stderr, "gzclose failed\n");
    std::exit(1);
  }
  return documents;
}

[[noreturn]] void fail(const lpda::error& e) {
  std::fprintf(stderr, "decode_bench: %s\n", e.what().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t events = 1'000'000;
  int level = 6;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--events" && i + 1 < argc)
      events = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--level" && i + 1 < argc)
      level = std::atoi(argv[++i]);
    else if (a == "--keep")
      keep = true;
    else {
      std::fprintf(stderr, "usage: decode_bench [--events N] [--level 0-9] [--keep]\n");
      return 2;
    }
  }

  const auto path = std::filesystem::temp_directory_path() /
                    ("lpda-decode-bench-" + std::to_string(::getpid()) + ".ndjson.gz");
  auto t0 = clock_type::now();
  const std::uint64_t documents = generate(path, events, level);
  const double gen_s = seconds_since(t0);
  const auto gz_bytes = std::filesystem::file_size(path);
  const long rss_after_generate = peak_rss_kib();

  lpda::decode::limits lim;
  lim.max_inflated_bytes = UINT64_MAX;  // the benchmark file may exceed the 4 GiB default

  // 1. inflate alone
  t0 = clock_type::now();
  double cpu0 = cpu_seconds();
  auto reader = lpda::decode::content_reader::open_file(path, lim.max_inflated_bytes);
  if (!reader) fail(reader.error());
  std::uint64_t inflated = 0;
  std::uint64_t checksum = 0;
  for (;;) {
    auto chunk = reader->next_chunk();
    if (!chunk) fail(chunk.error());
    if (chunk->empty()) break;
    inflated += chunk->size();
    checksum += static_cast<unsigned char>(chunk->back());
  }
  const double inflate_s = seconds_since(t0);
  const double inflate_cpu = cpu_seconds() - cpu0;

  // 2. full decode
  t0 = clock_type::now();
  cpu0 = cpu_seconds();
  auto decoder = lpda::agent_activity::decoder::open_file(path, lim);
  if (!decoder) fail(decoder.error());
  std::vector<lpda::agent_activity::event> batch;
  std::uint64_t decoded = 0;
  std::int64_t ts_sum = 0;
  for (;;) {
    auto r = (*decoder)->next_batch(batch);
    if (!r) fail(r.error());
    if (!*r) break;
    decoded += batch.size();
    for (const auto& e : batch) ts_sum += e.timestamp_ms & 0xff;
  }
  const double decode_s = seconds_since(t0);
  const double decode_cpu = cpu_seconds() - cpu0;
  const long rss_after_decode = peak_rss_kib();

  if (!keep) std::filesystem::remove(path);
  if (decoded != events || (*decoder)->stats().inflated_bytes != inflated ||
      (*decoder)->stats().documents != documents) {
    std::fprintf(stderr, "decode_bench: decoded %llu of %llu events\n",
                 static_cast<unsigned long long>(decoded), static_cast<unsigned long long>(events));
    return 1;
  }

  const double mb = 1e6;
  std::printf("events               %llu in %llu documents (generated in %.1f s, gzip level %d)\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(documents),
              gen_s, level);
  std::printf("gzip bytes           %llu\n", static_cast<unsigned long long>(gz_bytes));
  std::printf("inflated bytes       %llu (ratio %.1f)\n", static_cast<unsigned long long>(inflated),
              static_cast<double>(inflated) / static_cast<double>(gz_bytes));
  std::printf(
      "inflate only         %.3f s wall %.3f s CPU  %8.1f MB/s inflated  %10.0f events/s (per CPU "
      "s)\n",
      inflate_s, inflate_cpu, static_cast<double>(inflated) / mb / inflate_cpu,
      static_cast<double>(events) / inflate_cpu);
  std::printf(
      "full decode          %.3f s wall %.3f s CPU  %8.1f MB/s inflated  %10.0f events/s (per CPU "
      "s)\n",
      decode_s, decode_cpu, static_cast<double>(inflated) / mb / decode_cpu,
      static_cast<double>(events) / decode_cpu);
  std::printf(
      "decode / inflate     %.0f %% of inflate-only throughput (CPU time; %.0f %% by wall time)\n",
      100.0 * inflate_cpu / decode_cpu, 100.0 * inflate_s / decode_s);
  std::printf("peak RSS             %ld KiB after generating, %ld KiB after decoding\n",
              rss_after_generate, rss_after_decode);
  std::printf("(checksums %llu %lld)\n", static_cast<unsigned long long>(checksum),
              static_cast<long long>(ts_sum));
  return 0;
}

#include "lpda/emulator/generator.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

namespace lpda::emulator {
namespace {

constexpr std::int64_t default_block_ms = 6 * hour_ms;
constexpr std::int64_t minute_ms = 60'000;

// Display names with accents, CJK, Hangul, Greek and emoji: decoders must keep UTF-8 intact.
constexpr std::array<const char*, 16> nicknames{"José Álvarez",
                                                "Zoë Brontë",
                                                "山田 太郎",
                                                "李小龍",
                                                "Ana 🌸",
                                                "Søren Kierkegård",
                                                "Łukasz Żółć",
                                                "Nguyễn Văn An",
                                                "Françoise d'Eaubonne",
                                                "Jürgen Müller 🚀",
                                                "김민준",
                                                "Ελένη Παπαδοπούλου",
                                                "Renée \"Rae\" O'Brien",
                                                "Ñandú Peña",
                                                "Olúwaseun Àdìsá",
                                                "Mia 😀 Chen"};
constexpr std::array<const char*, 16> usernames{
    "jalvarez",   "zbronte",  "tyamada", "xlong", "ana.flor", "skierke", "lzolc",  "nvan",
    "fdeaubonne", "jmueller", "mkim",    "epapa", "robrien",  "npena",   "oadisa", "mchen"};

// Uniform integer in [lo, hi] from a hash value.
std::int64_t pick(std::uint64_t h, std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<std::int64_t>(h % static_cast<std::uint64_t>(hi - lo + 1));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::uint64_t u(std::int64_t v) {
  return static_cast<std::uint64_t>(v);
}

}  // namespace

std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
  auto step = [](std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  std::uint64_t h = step(a);
  h = step(h ^ b);
  h = step(h ^ c);
  h = step(h ^ d);
  return h;
}

std::uint64_t hash_string(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string file_info::name() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "Agent.%lld.%lld.part-%05d-0",
                static_cast<long long>(scope_start_ms), static_cast<long long>(scope_end_ms), part);
  return buf;
}

std::optional<std::string> apply_preset(std::string_view name, generator_config& cfg) {
  if (name == "large-account") {
    cfg.agents = 200;
    cfg.session_min_ms = 5 * hour_ms;
    cfg.session_max_ms = 9 * hour_ms;
    cfg.event_gap_min_ms = 10'000;
    cfg.event_gap_max_ms = 150'000;
    cfg.max_parts = 1;
    return std::nullopt;
  }
  return "unknown preset '" + std::string(name) + "' (expected large-account)";
}

generator::generator(generator_config cfg) : cfg_(std::move(cfg)) {
  if (cfg_.hours < 0 || cfg_.agents < 0 || cfg_.max_parts < 1)
    throw std::invalid_argument("generator: hours and agents must be >= 0, max_parts >= 1");
  if (cfg_.session_min_ms < 0 || cfg_.session_max_ms < cfg_.session_min_ms ||
      (cfg_.session_max_ms > 0 && cfg_.session_min_ms == 0))
    throw std::invalid_argument("generator: session lengths must be 0 < min <= max (or both 0)");
  if (cfg_.event_gap_min_ms < 1 || cfg_.event_gap_max_ms < cfg_.event_gap_min_ms)
    throw std::invalid_argument("generator: event gaps must be 1 <= min <= max (ms)");
  cfg_.from_ms = floor_div(cfg_.from_ms, hour_ms) * hour_ms;
}

bool generator::has_account(const std::string& account) const {
  return std::find(cfg_.accounts.begin(), cfg_.accounts.end(), account) != cfg_.accounts.end();
}

int generator::parts_of_hour(const std::string& account, std::int64_t hour,
                             std::size_t sessions) const {
  const auto k = pick(mix(cfg_.seed, hash_string(account), u(hour), 0x9a475), 1, cfg_.max_parts);
  return static_cast<int>(
      std::max<std::int64_t>(1, std::min<std::int64_t>(k, static_cast<std::int64_t>(sessions))));
}

std::vector<generator::session_plan> generator::hour_plans(const std::string& account,
                                                           std::int64_t hour) const {
  std::vector<session_plan> out;
  const std::uint64_t acc = hash_string(account);
  const std::int64_t hour_end = hour + hour_ms;
  // The default shape, or blocks long enough for the longest session starting within the first
  // hour of its block (so no session is cut short by its block's end).
  const bool custom = cfg_.session_max_ms > 0;
  const std::int64_t block = custom ? cfg_.session_max_ms + 2 * hour_ms : default_block_ms;
  const std::int64_t shortest = custom ? cfg_.session_min_ms : 15 * minute_ms;
  const std::int64_t longest = custom ? cfg_.session_max_ms : 4 * hour_ms + 45 * minute_ms;
  for (int agent = 0; agent < cfg_.agents; ++agent) {
    const std::int64_t offset = pick(mix(cfg_.seed, acc, u(agent), 0x0ff5e7), 0, block - 1);
    const std::int64_t b0 = floor_div(hour - offset, block);
    const std::int64_t b1 = floor_div(hour_end - 1 - offset, block);
    for (std::int64_t b = b0; b <= b1; ++b) {
      const std::uint64_t h = mix(cfg_.seed, acc, u(agent), u(b));
      if (h % 10 >= 8) continue;  // 80 % of blocks have a session
      const std::int64_t block_start = b * block + offset;
      const std::int64_t start = block_start + pick(h >> 8, 0, hour_ms);
      const std::int64_t end =
          std::min(start + pick(h >> 24, shortest, longest), block_start + block - 1);
      if (end < hour || end >= hour_end) continue;
      const std::int64_t n =
          std::int64_t{agent + 1} * 1'000'000 + ((b % 1'000'000) + 1'000'000) % 1'000'000;
      out.push_back({agent, b, start, end, account + "-" + std::to_string(n)});
    }
  }
  std::sort(out.begin(), out.end(), [](const session_plan& a, const session_plan& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.id < b.id;
  });
  return out;
}

file_info generator::make_file(const std::string& account, std::int64_t hour, int part) const {
  file_info f;
  f.account = account;
  f.scope_start_ms = hour;
  f.scope_end_ms = hour + hour_ms;
  f.part = part;
  const std::uint64_t h = mix(cfg_.seed, hash_string(account), u(hour), u(part) + 0xc7ea7ed);
  f.late = cfg_.late_percent > 0 && static_cast<int>(h % 100) < cfg_.late_percent;
  if (f.late) {
    f.created_ms =
        f.scope_end_ms + pick(h >> 8, cfg_.late_min_hours * hour_ms, cfg_.late_max_hours * hour_ms);
  } else {
    f.created_ms =
        f.scope_end_ms + pick(h >> 8, cfg_.publish_delay_min_ms, cfg_.publish_delay_max_ms);
  }
  return f;
}

std::vector<file_info> generator::files(const std::string& account) const {
  std::vector<file_info> out;
  if (!has_account(account)) return out;
  for (int i = 0; i < cfg_.hours; ++i) {
    const std::int64_t hour = cfg_.from_ms + i * hour_ms;
    const int k = parts_of_hour(account, hour, hour_plans(account, hour).size());
    for (int p = 0; p < k; ++p) out.push_back(make_file(account, hour, p));
  }
  for (const auto& e : extras_)
    if (e.info.account == account) out.push_back(e.info);
  std::sort(out.begin(), out.end(), [](const file_info& a, const file_info& b) {
    return a.scope_start_ms != b.scope_start_ms ? a.scope_start_ms < b.scope_start_ms
                                                : a.part < b.part;
  });
  return out;
}

std::optional<file_info> generator::find(const std::string& account, std::string name) const {
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) name.resize(name.size() - 3);
  long long s = 0;
  long long e = 0;
  int part = 0;
  int attempt = 0;
  int consumed = 0;
  if (std::sscanf(name.c_str(), "Agent.%lld.%lld.part-%d-%d%n", &s, &e, &part, &attempt,
                  &consumed) != 4 ||
      static_cast<std::size_t>(consumed) != name.size())
    return std::nullopt;
  if (!has_account(account)) return std::nullopt;
  for (const auto& x : extras_)
    if (x.info.account == account && x.info.name() == name) return x.info;
  // Generated files: only the named hour is computed, so a download costs O(agents).
  if (s < cfg_.from_ms || s >= cfg_.from_ms + cfg_.hours * hour_ms ||
      (s - cfg_.from_ms) % hour_ms != 0)
    return std::nullopt;
  const int k = parts_of_hour(account, s, hour_plans(account, s).size());
  if (part < 0 || part >= k) return std::nullopt;
  file_info f = make_file(account, s, part);
  if (f.name() != name) return std::nullopt;
  return f;
}

void generator::add_hours(int n) {
  if (n < 0) throw std::invalid_argument("add_hours: n must be >= 0");
  cfg_.hours += n;
}

file_info generator::add_file(const std::string& account, std::int64_t scope_ms,
                              std::int64_t created_ms, int sessions) {
  if (!has_account(account)) throw std::invalid_argument("add_file: unknown account " + account);
  extra_file e;
  e.index = static_cast<int>(extras_.size());
  e.sessions = std::max(0, sessions);
  e.info.account = account;
  e.info.scope_start_ms = floor_div(scope_ms, hour_ms) * hour_ms;
  e.info.scope_end_ms = e.info.scope_start_ms + hour_ms;
  int part = 100;
  for (const auto& x : extras_)
    if (x.info.account == account && x.info.scope_start_ms == e.info.scope_start_ms)
      part = std::max(part, x.info.part + 1);
  e.info.part = part;
  e.info.created_ms = created_ms;
  extras_.push_back(e);
  return e.info;
}

void generator::set_late(int percent, int min_hours, int max_hours) {
  cfg_.late_percent = std::clamp(percent, 0, 100);
  cfg_.late_min_hours = std::max(0, min_hours);
  cfg_.late_max_hours = std::max(cfg_.late_min_hours, max_hours);
}

agent_session generator::make_session(const std::string& account, int agent, std::int64_t block,
                                      std::int64_t start_ms, std::int64_t end_ms, std::string id,
                                      std::uint64_t salt) const {
  const std::uint64_t acc = hash_string(account);
  const std::uint64_t ah = mix(cfg_.seed, acc, u(agent), 0xa6e17);
  agent_session s;
  s.account = account;
  s.session_id = std::move(id);
  s.start_ms = start_ms;
  s.end_ms = end_ms;
  std::uint64_t r = mix(cfg_.seed, acc, u(block) ^ salt, u(agent) + 0x5e55);
  s.end_time_null = r % 7 == 0;

  agent_event base;
  base.agent_id = 100 + agent * 7 + static_cast<std::int64_t>(cfg_.seed % 5);
  const auto ni = static_cast<std::size_t>(ah % nicknames.size());
  base.nickname = nicknames[ni];
  base.username = std::string(usernames[ni]) + std::to_string(agent);
  base.loginname = base.username + "@example.com";
  // Numeric strings, so the employee-id-as-long variant can render them as {"long": n}.
  base.employee_id = (ah >> 8) % 3 == 0 ? std::string{} : std::to_string(70000 + agent);
  base.group_id = (ah >> 16) % 4 == 0 ? -1 : static_cast<std::int64_t>(10 + (ah >> 20) % 40);
  const int max_conc = static_cast<int>(1 + (ah >> 24) % 4);

  auto next = [&r]() {
    r = mix(r, 0x11);
    return r;
  };
  int state = 2;
  int conc = 0;
  auto emit = [&](std::int64_t ts, int type, int new_state, int new_conc, int maxc) {
    agent_event e = base;
    e.timestamp = ts;
    e.type = type;
    e.prev_state = type == 3 ? 1 : state;
    e.state = new_state;
    e.prev_concurrent = conc;
    e.concurrent = new_conc;
    e.max_concurrent = maxc;
    s.events.push_back(std::move(e));
    state = new_state;
    conc = new_conc;
  };
  emit(start_ms, 3, 2, 0, -9);
  std::int64_t t = start_ms;
  const std::int64_t stop = end_ms - 2 * minute_ms;
  while (true) {
    t += pick(next(), cfg_.event_gap_min_ms, cfg_.event_gap_max_ms);
    if (t >= stop) break;
    const auto roll = next() % 100;
    if (state == 2) {
      if (roll < 45 && conc < max_conc) {
        emit(t, 1, 2, conc + 1, max_conc);
        // Two chats can start in the same millisecond (seen in real data).
        if (conc < max_conc && next() % 4 == 0) emit(t, 1, 2, conc + 1, max_conc);
      } else if (roll < 80 && conc > 0) {
        emit(t, 1, 2, conc - 1, max_conc);
      } else if (roll < 90) {
        emit(t, 2, roll < 85 ? 4 : 3, conc, max_conc);
      }
    } else {
      if (roll < 30 && conc > 0) {
        emit(t, 1, state, conc - 1, max_conc);
      } else if (roll < 75) {
        emit(t, 2, 2, conc, max_conc);
      }
    }
  }
  // Chats end before logout, so logout carries concurrency 0 -> 0.
  std::int64_t te = std::max(s.events.back().timestamp, stop);
  while (conc > 0) {
    te += 1000;
    emit(te, 1, state, conc - 1, max_conc);
  }
  emit(end_ms, 4, 1, 0, -9);
  return s;
}

std::vector<agent_session> generator::sessions(const file_info& file) const {
  std::vector<agent_session> out;
  const std::uint64_t acc = hash_string(file.account);
  for (const auto& e : extras_) {
    if (e.info.account != file.account || e.info.scope_start_ms != file.scope_start_ms ||
        e.info.part != file.part)
      continue;
    for (int i = 0; i < e.sessions; ++i) {
      const int agent = static_cast<int>(mix(cfg_.seed, acc, u(e.index), u(i)) %
                                         static_cast<std::uint64_t>(std::max(1, cfg_.agents)));
      const std::uint64_t h = mix(cfg_.seed, acc, u(e.index) + 0xe77a, u(i));
      const std::int64_t end = file.scope_start_ms + pick(h, 10 * minute_ms, hour_ms - 1);
      const std::int64_t start = end - pick(h >> 20, 30 * minute_ms, 4 * hour_ms);
      out.push_back(make_session(file.account, agent, -1 - e.index, start, end,
                                 file.account + "-9" + std::to_string(100000 + e.index * 1000 + i),
                                 0xe0000000ULL + u(i)));
    }
    return out;
  }
  const auto plans = hour_plans(file.account, file.scope_start_ms);
  const auto k =
      static_cast<std::size_t>(parts_of_hour(file.account, file.scope_start_ms, plans.size()));
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (i % k != static_cast<std::size_t>(file.part)) continue;
    const auto& p = plans[i];
    out.push_back(make_session(file.account, p.agent, p.block, p.start_ms, p.end_ms, p.id, 0));
  }
  return out;
}

}  // namespace lpda::emulator

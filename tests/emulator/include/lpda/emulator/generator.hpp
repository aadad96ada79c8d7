#pragma once
// Deterministic Agent Activity data for the emulator: hourly part files whose content is
// generated on request from (seed, account, hour, part), so 10,000 files need no memory or disk.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::emulator {

inline constexpr std::int64_t hour_ms = 3'600'000;
inline constexpr std::int64_t day_ms = 24 * hour_ms;

/// One item of `agentSessionsData` (field list:
/// https://developers.liveperson.com/data-access-api-methods-agent-activity.html). Times are
/// epoch ms UTC. type: 1 chat concurrency change, 2 state change, 3 login, 4 logout.
/// state / prev_state: 1 offline, 2 online, 3 back soon, 4 away.
struct agent_event {
  std::int64_t agent_id = 0;
  int type = 0;
  int state = 0;
  int prev_state = 0;
  std::int64_t timestamp = 0;
  int prev_concurrent = 0;
  int concurrent = 0;
  int max_concurrent = 0;   ///< -9 on login and logout
  std::string employee_id;  ///< decimal digits, or "" (absent)
  std::string username;
  std::string nickname;
  std::string loginname;
  std::int64_t group_id = -1;
};

/// One agent login session: one JSON document in a file. `end_ms` is the logout time;
/// `end_time_null` renders metaData.endTime as null (seen in LivePerson's docs example).
struct agent_session {
  std::string account;
  std::string session_id;  ///< "<account>-<n>"
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  bool end_time_null = false;
  std::vector<agent_event> events;
};

/// Metadata of one part file. `created_ms` is when it appears in listings (filter on creation
/// time); scope is its hour [scope_start_ms, scope_end_ms).
struct file_info {
  std::string account;
  std::int64_t scope_start_ms = 0;
  std::int64_t scope_end_ms = 0;
  int part = 0;  ///< part-0000N; parts >= 100 were added through the control API
  std::int64_t created_ms = 0;
  bool late = false;

  /// "Agent.<scopeStartMs>.<scopeEndMs>.part-<NNNNN>-0" (LivePerson's naming, no ".gz").
  std::string name() const;
};

/// Inputs of the generator. Everything derives from `seed`.
struct generator_config {
  std::uint64_t seed = 1;
  std::vector<std::string> accounts{"12345678"};
  int agents = 6;                                  ///< agents per account
  std::int64_t from_ms = 0;                        ///< first scope hour (floored to the hour)
  int hours = 24;                                  ///< number of scope hours
  int max_parts = 3;                               ///< each hour has 1..max_parts part files
  std::int64_t publish_delay_min_ms = 5 * 60'000;  ///< created = scope end + delay
  std::int64_t publish_delay_max_ms = 25 * 60'000;
  int late_percent = 0;  ///< share of files created hours late (0 = none)
  int late_min_hours = 2;
  int late_max_hours = 8;
  /// Session length range (ms). Both 0 (the default): each agent has at most one session per
  /// 6-hour block, 15 min to 4 h 45 min long. Otherwise at most one per block of
  /// session_max_ms + 2 h, session_min_ms..session_max_ms long (0 < min <= max).
  std::int64_t session_min_ms = 0;
  std::int64_t session_max_ms = 0;
  /// Time between two ticks of a session, uniform in this range (ms); most ticks emit an event
  /// (a chat starts or ends, or the state changes), so it sets the events per session hour.
  std::int64_t event_gap_min_ms = 20'000;
  std::int64_t event_gap_max_ms = 9 * 60'000;
};

/// Named data shapes for lpda-emulator's `--preset`:
/// - "large-account": dense files like a large contact centre's — 200 agents whose sessions
///   last 5 to 9 hours with an event every 10 to 150 s, one part file per hour: about 4,000
///   events per hourly file, a file's events reaching about 9 hours back (each file holds the
///   sessions that ended in its hour).
/// Sets the fields of `cfg` the preset defines (agents, session and event-gap ranges,
/// max_parts) and leaves the rest. Returns an error message for an unknown name.
std::optional<std::string> apply_preset(std::string_view name, generator_config& cfg);

/// Deterministic data source. A session is published in the part file of the hour its logout
/// falls in (LivePerson groups sessions "once they are considered closed",
/// https://developers.liveperson.com/data-access-api-architecture.html). Each agent has at most
/// one session per block (6 hours, or session_max_ms + 2 h), so an agent's sessions never
/// overlap; a session reaches up to its length back from the hour that publishes it. An hour has
/// min(1..max_parts, its session count) part files (at least one, possibly empty) and its
/// sessions are dealt to the parts round-robin, so no part is empty unless the hour is. Not
/// thread-safe for writes (add_hours/add_file/set_late); const calls are pure.
class generator {
 public:
  explicit generator(generator_config cfg);

  const generator_config& config() const { return cfg_; }

  /// Every file of `account` in the configured hours plus added files, sorted by scope start then
  /// part, regardless of "now". Empty for an unknown account.
  std::vector<file_info> files(const std::string& account) const;

  /// Looks a file up by name (a trailing ".gz" is ignored).
  std::optional<file_info> find(const std::string& account, std::string name) const;

  /// The sessions of a file, in login order (deterministic).
  std::vector<agent_session> sessions(const file_info& file) const;

  /// Extends the range by `n` hours at its end.
  void add_hours(int n);

  /// Adds one extra part file for the hour containing `scope_ms`, created at `created_ms`, with
  /// `sessions` new sessions closing in that hour. Returns the file.
  file_info add_file(const std::string& account, std::int64_t scope_ms, std::int64_t created_ms,
                     int sessions);

  /// Changes the late-file share (0..100) and the late delay range.
  void set_late(int percent, int min_hours, int max_hours);

  bool has_account(const std::string& account) const;

 private:
  struct extra_file {
    file_info info;
    int sessions = 0;
    int index = 0;
  };
  // A session before its events are generated: cheap, so listings need not build events.
  struct session_plan {
    int agent = 0;
    std::int64_t block = 0;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::string id;
  };
  std::vector<session_plan> hour_plans(const std::string& account, std::int64_t hour) const;
  int parts_of_hour(const std::string& account, std::int64_t hour, std::size_t sessions) const;
  file_info make_file(const std::string& account, std::int64_t hour, int part) const;
  agent_session make_session(const std::string& account, int agent, std::int64_t block,
                             std::int64_t start_ms, std::int64_t end_ms, std::string id,
                             std::uint64_t salt) const;

  generator_config cfg_;
  std::vector<extra_file> extras_;
};

/// A 64-bit mix of the inputs (splitmix64 steps); the only randomness the emulator uses.
std::uint64_t mix(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0, std::uint64_t d = 0);

/// Stable hash of a string (FNV-1a 64).
std::uint64_t hash_string(const std::string& s);

}  // namespace lpda::emulator

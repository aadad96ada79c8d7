#include "lpda/emulator/generator.hpp"
#include "lpda/emulator/render.hpp"

#include "test_client.hpp"
#include "test_support.hpp"

#include <rapidjson/document.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

namespace emu = lpda::emulator;
namespace t = lpda::emulator::test;

namespace {

emu::generator_config config(std::uint64_t seed = 7) {
  emu::generator_config c;
  c.seed = seed;
  c.accounts = {"12345678", "87654321"};
  c.agents = 8;
  c.from_ms = 1772928000000;  // 2026-03-08T00:00Z
  c.hours = 30;
  c.max_parts = 3;
  return c;
}

}  // namespace

TEST_SUITE("emulator") {
  TEST_CASE("files: 1..max_parts per hour LivePerson's names created after scope end") {
    const emu::generator g(config());
    const auto files = g.files("12345678");
    std::map<std::int64_t, int> per_hour;
    const std::regex name(R"(Agent\.(\d+)\.(\d+)\.part-(\d{5})-0)");
    for (const auto& f : files) {
      ++per_hour[f.scope_start_ms];
      std::smatch m;
      const std::string n = f.name();
      REQUIRE(std::regex_match(n, m, name));
      CHECK(std::stoll(m[1]) == f.scope_start_ms);
      CHECK(std::stoll(m[2]) == f.scope_start_ms + emu::hour_ms);
      CHECK(std::stoi(m[3]) == f.part);
      CHECK(f.created_ms >= f.scope_end_ms + 5 * 60'000);
      CHECK(f.created_ms <= f.scope_end_ms + 25 * 60'000);
    }
    CHECK(per_hour.size() == 30);
    std::set<int> counts;
    for (const auto& [h, n] : per_hour) {
      CHECK(n >= 1);
      CHECK(n <= 3);
      counts.insert(n);
    }
    CHECK(counts.size() > 1);  // the part count varies
    CHECK(g.files("nope").empty());
    REQUIRE(g.find("12345678", files[3].name() + ".gz").has_value());
    CHECK(g.find("12345678", files[3].name())->created_ms == files[3].created_ms);
    CHECK_FALSE(g.find("12345678", "Agent.1.2.part-00000-0").has_value());
    // Every listed name is found; a part past the hour's count, a wrong end or a hour outside
    // the range is not.
    for (const auto& f : files) REQUIRE(g.find("12345678", f.name()).has_value());
    const auto last_hour = files.back().scope_start_ms;
    CHECK_FALSE(g.find("12345678", "Agent." + std::to_string(last_hour) + "." +
                                       std::to_string(last_hour + emu::hour_ms) + ".part-00003-0")
                    .has_value());
    CHECK_FALSE(g.find("12345678", "Agent." + std::to_string(last_hour) + "." +
                                       std::to_string(last_hour + 2 * emu::hour_ms) +
                                       ".part-00000-0")
                    .has_value());
    CHECK_FALSE(g.find("12345678", "Agent." + std::to_string(last_hour + emu::hour_ms) + "." +
                                       std::to_string(last_hour + 2 * emu::hour_ms) +
                                       ".part-00000-0")
                    .has_value());
    CHECK_FALSE(g.find("87654321x", files[0].name()).has_value());
  }

  TEST_CASE("the same seed gives the same bytes and another seed other data") {
    const emu::generator a(config(7)), b(config(7)), c(config(8));
    const auto fa = a.files("12345678");
    const auto fb = b.files("12345678");
    REQUIRE(fa.size() == fb.size());
    const emu::variants v;
    for (std::size_t i = 0; i < fa.size(); i += 5)
      CHECK(emu::render_documents(a.sessions(fa[i]), v) ==
            emu::render_documents(b.sessions(fb[i]), v));
    std::string all_a, all_c;
    for (const auto& f : a.files("12345678")) all_a += emu::render_documents(a.sessions(f), v);
    for (const auto& f : c.files("12345678")) all_c += emu::render_documents(c.sessions(f), v);
    CHECK(all_a != all_c);
  }

  TEST_CASE("sessions are realistic and each is published once in the hour it closes") {
    const emu::generator g(config());
    std::set<std::string> ids;
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> by_agent;
    int same_ms_chats = 0, states_seen = 0, non_ascii = 0, sessions = 0;
    for (const auto& account : {"12345678", "87654321"}) {
      for (const auto& f : g.files(account)) {
        for (const auto& s : g.sessions(f)) {
          ++sessions;
          CHECK(ids.insert(s.session_id).second);
          CHECK(s.session_id.rfind(std::string(account) + "-", 0) == 0);
          CHECK(s.end_ms >= f.scope_start_ms);
          CHECK(s.end_ms < f.scope_end_ms);
          REQUIRE(s.events.size() >= 2);
          const auto& login = s.events.front();
          CHECK(login.type == 3);
          CHECK(login.state == 2);
          CHECK(login.prev_state == 1);
          CHECK(login.max_concurrent == -9);
          CHECK(login.timestamp == s.start_ms);
          const auto& logout = s.events.back();
          CHECK(logout.type == 4);
          CHECK(logout.state == 1);
          CHECK(logout.max_concurrent == -9);
          CHECK(logout.concurrent == 0);
          CHECK(logout.timestamp == s.end_ms);
          for (std::size_t i = 1; i < s.events.size(); ++i) {
            const auto& p = s.events[i - 1];
            const auto& e = s.events[i];
            CHECK(e.timestamp >= p.timestamp);
            CHECK(e.agent_id == login.agent_id);
            if (e.type == 4) continue;
            CHECK(e.prev_state == p.state);
            CHECK(e.prev_concurrent == p.concurrent);
            CHECK(e.concurrent <= e.max_concurrent);
            CHECK(e.concurrent >= 0);
            if (e.type == 1) CHECK(std::abs(e.concurrent - e.prev_concurrent) == 1);
            if (e.type == 2) ++states_seen;
            if (e.type == 1 && p.type == 1 && e.timestamp == p.timestamp &&
                e.concurrent > e.prev_concurrent && p.concurrent > p.prev_concurrent)
              ++same_ms_chats;
          }
          for (const char ch : login.nickname)
            if (static_cast<unsigned char>(ch) >= 0x80) {
              ++non_ascii;
              break;
            }
          by_agent[login.agent_id * 1000 + (account[0] - '0')].emplace_back(s.start_ms, s.end_ms);
        }
      }
    }
    CHECK(sessions > 50);
    CHECK(same_ms_chats > 0);
    CHECK(states_seen > 0);
    CHECK(non_ascii > 0);
    for (auto& [agent, spans] : by_agent) {
      std::sort(spans.begin(), spans.end());
      for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i].first > spans[i - 1].second);
    }
  }

  TEST_CASE("thousands of agents give distinct session ids (no overflow past 2147 agents)") {
    auto c = config();
    c.accounts = {"555"};
    c.agents = 3000;
    c.hours = 2;
    const emu::generator g(c);
    std::set<std::string> ids;
    std::int64_t max_n = 0;
    for (const auto& f : g.files("555"))
      for (const auto& s : g.sessions(f)) {
        CHECK(ids.insert(s.session_id).second);
        // "<account>-<n>" with n = (agent + 1) * 10^6 + block, beyond int range from agent 2147.
        const std::int64_t n = std::stoll(s.session_id.substr(4));
        CHECK(n > 0);
        max_n = std::max(max_n, n);
      }
    CHECK(ids.size() > 500);
    CHECK(max_n > std::int64_t{2148} * 1'000'000);
  }

  TEST_CASE("late files are created hours after their scope") {
    auto c = config();
    c.late_percent = 100;
    const emu::generator g(c);
    for (const auto& f : g.files("12345678")) {
      CHECK(f.late);
      CHECK(f.created_ms >= f.scope_end_ms + 2 * emu::hour_ms);
      CHECK(f.created_ms <= f.scope_end_ms + 8 * emu::hour_ms);
    }
  }

  TEST_CASE("added hours and files") {
    emu::generator g(config());
    const auto before = g.files("12345678").size();
    g.add_hours(2);
    CHECK(g.files("12345678").size() > before);
    const auto f = g.add_file("12345678", 1772929800000, 1772990000000, 4);
    CHECK(f.scope_start_ms == 1772928000000);
    CHECK(f.part == 100);
    CHECK(f.name() == "Agent.1772928000000.1772931600000.part-00100-0");
    const auto s = g.sessions(f);
    CHECK(s.size() == 4);
    for (const auto& x : s) {
      CHECK(x.end_ms >= f.scope_start_ms);
      CHECK(x.end_ms < f.scope_end_ms);
    }
    CHECK(g.find("12345678", f.name())->created_ms == 1772990000000);
  }

  TEST_CASE("rendered NDJSON decodes (independently) to the generator's events") {
    const emu::generator g(config());
    for (const auto& f : g.files("87654321")) {
      const auto sessions = g.sessions(f);
      for (const bool docs : {false, true}) {
        emu::variants v;
        v.docs_framing = docs;
        v.casing = docs ? emu::name_casing::alternate : emu::name_casing::example;
        auto rows = t::decode_documents(emu::render_documents(sessions, v));
        std::size_t n = 0;
        for (const auto& s : sessions) n += s.events.size();
        CHECK(rows.size() == (docs ? 2 * n : n));
        std::vector<emu::expected_event> exp;
        emu::collect_expected(f, sessions, exp);
        emu::sort_unique(exp);
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        REQUIRE(rows.size() == exp.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
          CHECK(rows[i].session == exp[i].session_id);
          CHECK(rows[i].timestamp == exp[i].event.timestamp);
          CHECK(rows[i].nickname == exp[i].event.nickname);
        }
      }
    }
  }

  TEST_CASE("gzip bodies: one member several members zero padding plain") {
    const emu::generator g(config());
    const auto f = g.files("12345678").at(4);
    const auto sessions = g.sessions(f);
    emu::variants v;
    const std::string text = emu::render_documents(sessions, v);
    int members = 0;
    CHECK(t::gunzip_all(emu::render_file(sessions, v), &members) == text);
    CHECK(members == 1);
    v.multi_member = true;
    CHECK(t::gunzip_all(emu::render_file(sessions, v), &members) == text);
    CHECK(members >= 2);
    v.zero_padding = 100;
    const std::string padded = emu::render_file(sessions, v);
    CHECK(padded.substr(padded.size() - 100) == std::string(100, '\0'));
    CHECK(t::gunzip_all(padded) == text);
    v.plain_body = true;
    CHECK(emu::render_file(sessions, v) == text);
  }

  // Defaults stay byte-identical: the digest of everything the generator serves for a default
  // configuration (file names, creation times, documents, expected set) as computed before any
  // option that changes the data's shape was added. A change here changes every test's data.
  TEST_CASE("default data is pinned: the digest of its files and expected set") {
    auto digest = [](const emu::generator_config& c) {
      const emu::generator g(c);
      std::string all;
      std::vector<emu::expected_event> expected;
      for (const auto& account : c.accounts)
        for (const auto& f : g.files(account)) {
          const auto sessions = g.sessions(f);
          all += f.name() + " " + std::to_string(f.created_ms) + (f.late ? " late\n" : "\n");
          all += emu::render_documents(sessions, emu::variants{});
          emu::collect_expected(f, sessions, expected);
        }
      emu::sort_unique(expected);
      all += emu::render_expected_ndjson(expected);
      return std::to_string(all.size()) + ":" + std::to_string(emu::hash_string(all));
    };
    auto c = config();
    c.late_percent = 20;
    CHECK(digest(c) == "1790299:3283739688526208503");
    // lpda-emulator's defaults (one account, 6 agents, 24 hours, up to 3 parts), and sync_bench's
    // scenario-1 shape (200 agents), over two days.
    emu::generator_config d;
    d.from_ms = 1772928000000;
    CHECK(digest(d) == "379824:2663536760528102161");
    d.agents = 200;
    d.hours = 48;
    CHECK(digest(d) == "31915602:13475672098697846296");
  }

  TEST_CASE(
      "session lengths: every session lasts MIN..MAX and closes in its file's hour and never "
      "overlaps its agent's others") {
    auto c = config();
    c.session_min_ms = 5 * emu::hour_ms;
    c.session_max_ms = 9 * emu::hour_ms;
    c.hours = 48;
    const emu::generator g(c);
    std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> by_agent;
    int sessions = 0, reaching_before_scope = 0;
    for (const auto& account : c.accounts)
      for (const auto& f : g.files(account))
        for (const auto& s : g.sessions(f)) {
          ++sessions;
          CHECK(s.end_ms - s.start_ms >= 5 * emu::hour_ms);
          CHECK(s.end_ms - s.start_ms <= 9 * emu::hour_ms);
          CHECK(s.end_ms >= f.scope_start_ms);
          CHECK(s.end_ms < f.scope_end_ms);
          REQUIRE(s.events.size() >= 2);
          CHECK(s.events.front().timestamp == s.start_ms);
          CHECK(s.events.back().timestamp == s.end_ms);
          if (s.start_ms < f.scope_start_ms - 4 * emu::hour_ms) ++reaching_before_scope;
          by_agent[account + "/" + std::to_string(s.events.front().agent_id)].emplace_back(
              s.start_ms, s.end_ms);
        }
    // 2 accounts x 8 agents x 48 h, 80 % of 11-hour blocks: about 56 sessions.
    CHECK(sessions > 30);
    CHECK(reaching_before_scope == sessions);  // all are longer than 5 h
    for (auto& [agent, spans] : by_agent) {
      std::sort(spans.begin(), spans.end());
      for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i].first > spans[i - 1].second);
    }
    // The default sessions last 15 min to 4 h 45 min.
    const emu::generator d(config());
    for (const auto& f : d.files("12345678"))
      for (const auto& s : d.sessions(f)) {
        CHECK(s.end_ms - s.start_ms >= 15 * 60'000);
        CHECK(s.end_ms - s.start_ms <= 4 * emu::hour_ms + 45 * 60'000);
      }
  }

  TEST_CASE("preset large-account: one dense file per hour whose events reach hours back") {
    auto c = config();
    c.accounts = {"12345678"};
    c.hours = 12;
    REQUIRE_FALSE(emu::apply_preset("large-account", c).has_value());
    CHECK(c.agents == 200);
    CHECK(c.max_parts == 1);
    CHECK(c.hours == 12);  // fields the preset does not define are kept
    CHECK(c.seed == 7);
    const emu::generator g(c);
    const auto files = g.files("12345678");
    REQUIRE(files.size() == 12);
    std::int64_t events = 0;
    double span_sum = 0;
    std::set<std::int64_t> agents;
    for (const auto& f : files) {
      std::int64_t lo = f.scope_end_ms, hi = 0, n = 0;
      for (const auto& s : g.sessions(f)) {
        for (const auto& e : s.events) {
          lo = std::min(lo, e.timestamp);
          hi = std::max(hi, e.timestamp);
          agents.insert(e.agent_id);
          ++n;
        }
      }
      CHECK(n > 1'000);
      events += n;
      span_sum += static_cast<double>(hi - lo) / static_cast<double>(emu::hour_ms);
    }
    // 200 agents, a session in 80 % of 11-hour blocks, 5-9 h long with a tick every 10-150 s:
    // about 14.5 sessions of about 280 events per hour.
    const double per_file = static_cast<double>(events) / 12.0;
    CHECK(per_file > 2'500);
    CHECK(per_file < 6'500);
    CHECK(span_sum / 12.0 > 7.0);  // a file's events span its longest session
    CHECK(span_sum / 12.0 < 10.0);
    CHECK(agents.size() > 100);
    auto other = config();
    const auto err = emu::apply_preset("huge", other);
    REQUIRE(err.has_value());
    CHECK(err->find("large-account") != std::string::npos);
    CHECK(other.agents == 8);  // an unknown preset changes nothing
  }

  TEST_CASE("event gaps set the density and shapes outside their ranges are refused") {
    auto sparse = config();
    sparse.hours = 12;
    auto dense = sparse;
    dense.event_gap_min_ms = 10'000;
    dense.event_gap_max_ms = 30'000;
    auto count = [](const emu::generator_config& cfg) {
      const emu::generator g(cfg);
      std::int64_t n = 0;
      for (const auto& f : g.files("12345678"))
        for (const auto& s : g.sessions(f)) {
          for (std::size_t i = 1; i < s.events.size(); ++i) {
            // Ticks are at least event_gap_min_ms apart (two events may share a tick); the
            // chats still open 2 minutes before logout end a second apart.
            if (s.events[i].timestamp >= s.end_ms - 2 * 60'000) break;
            const auto gap = s.events[i].timestamp - s.events[i - 1].timestamp;
            CHECK((gap == 0 || gap >= cfg.event_gap_min_ms));
          }
          n += static_cast<std::int64_t>(s.events.size());
        }
      return n;
    };
    // The same sessions (gaps do not move sessions): mean tick 20 s against 280 s.
    CHECK(count(dense) > 8 * count(sparse));
    auto bad = config();
    bad.session_min_ms = 2 * emu::hour_ms;  // max 0
    CHECK_THROWS_AS(emu::generator{bad}, std::invalid_argument);
    bad.session_max_ms = emu::hour_ms;  // max < min
    CHECK_THROWS_AS(emu::generator{bad}, std::invalid_argument);
    bad = config();
    bad.event_gap_min_ms = 0;
    CHECK_THROWS_AS(emu::generator{bad}, std::invalid_argument);
    bad.event_gap_min_ms = 5'000;
    bad.event_gap_max_ms = 4'000;
    CHECK_THROWS_AS(emu::generator{bad}, std::invalid_argument);
  }

  TEST_CASE("expected set: CSV quoting and NDJSON shape") {
    emu::expected_event e;
    e.account = "1";
    e.session_id = "1-2";
    e.event.nickname = "Renée \"Rae\", Jr";
    e.file = "Agent.0.1.part-00000-0";
    const std::string csv = emu::render_expected_csv({e});
    CHECK(csv.find("\"Renée \"\"Rae\"\", Jr\"") != std::string::npos);
    const auto rows = t::parse_expected_ndjson(emu::render_expected_ndjson({e}));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].nickname == "Renée \"Rae\", Jr");
  }
}

namespace {

// The "shape" of a JSON value: every key path with its JSON type, array items merged.
void shape(const rapidjson::Value& v, const std::string& path, std::set<std::string>& out) {
  static const char* types[] = {"null", "false", "true", "object", "array", "string", "number"};
  const std::string type = v.IsBool() ? "bool" : types[v.GetType()];
  out.insert(path + ":" + type);
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
      shape(it->value, path + "/" + it->name.GetString(), out);
  } else if (v.IsArray()) {
    for (const auto& x : v.GetArray()) shape(x, path + "[]", out);
  }
}

std::set<std::string> shape_of_first_document(const std::string& text) {
  rapidjson::Document d;
  rapidjson::StringStream ss(text.c_str());
  d.ParseStream<rapidjson::kParseStopWhenDoneFlag>(ss);
  REQUIRE_FALSE(d.HasParseError());
  std::set<std::string> out;
  shape(d, "", out);
  return out;
}

}  // namespace

TEST_SUITE("emulator") {
  TEST_CASE("documents have the shapes of the docs example and of the wrapped real-file fixture") {
    const emu::generator g(config());
    // A session rendered with metaData.endTime null, like both fixtures' reference documents.
    std::optional<emu::agent_session> with_null;
    for (const auto& f : g.files("12345678")) {
      for (auto& s : g.sessions(f))
        if (s.end_time_null) with_null = s;
      if (with_null) break;
    }
    REQUIRE(with_null.has_value());
    emu::variants docs;
    docs.docs_framing = true;
    const std::string ours_docs = emu::render_documents({*with_null}, docs);
    const std::string fixture_docs =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_docs_example.json");
    CHECK(shape_of_first_document(ours_docs) == shape_of_first_document(fixture_docs));
    // Two identical pretty-printed documents back to back.
    const auto half = ours_docs.size() / 2;
    CHECK(ours_docs.substr(0, half) == ours_docs.substr(half));
    CHECK(ours_docs.find("\n   \"metaData\": {") != std::string::npos);

    const std::string ours_wrapped = emu::render_documents({*with_null}, emu::variants{});
    const std::string fixture =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
    const std::string second_line = fixture.substr(fixture.find('\n') + 1);
    CHECK(shape_of_first_document(ours_wrapped) == shape_of_first_document(second_line));
    CHECK(std::count(ours_wrapped.begin(), ours_wrapped.end(), '\n') == 1);
  }
}

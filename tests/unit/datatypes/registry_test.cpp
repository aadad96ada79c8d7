// The data-type registry: the built-in types, and a type that exists only in this test (folder
// probe_type/) registered with one `datatypes::add` call, then seen by the registry's decode path
// and by config validation without any other change.
#include "lpda/datatypes/registry.hpp"

#include "lpda/config/config.hpp"
#include "lpda/decode/mapped_decoder.hpp"
#include "probe_type/probe_type.hpp"
#include "decode_test_util.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dt = lpda::datatypes;
namespace probe_type = lpda::test::probe_type;
namespace tu = lpda::decode::test_util;

namespace {

std::vector<std::string> registered_names() {
  std::vector<std::string> out;
  for (const auto* t : dt::all()) out.push_back(t->name);
  return out;
}

bool is_known(const std::string& name) {
  const auto known = dt::known_names();
  return std::find(known.begin(), known.end(), name) != known.end();
}

// One probe file: two envelopes (NDJSON), union wrappers on some values only.
constexpr std::string_view probe_file =
    R"({"dataType":"Probe","recordCollection":[{"id":"a","value":{"long":1}},{"id":{"string":"b,c"},"value":null}]})"
    "\n"
    R"({"recordCollection":{"array":[{"value":-7,"id":"d","extra":[1,2]}]}})"
    "\n";

struct text_result {
  lpda::result<std::uint64_t> written;
  std::string out;
  lpda::decode::decode_stats stats;
};

text_result decode_through_registry(const dt::data_type& type, const std::filesystem::path& file,
                                    lpda::decode::text_format format) {
  auto source = type.open_file(file, lpda::decode::limits{});
  REQUIRE(source.has_value());
  std::ostringstream out;
  auto written = type.write_text(**source, format, out);
  const auto* stats = lpda::decode::stats_of(**source);
  REQUIRE(stats != nullptr);
  return {std::move(written), out.str(), *stats};
}

}  // namespace

TEST_SUITE("datatypes") {
  TEST_CASE("the names config checks against are the registry's types") {
    CHECK(dt::known_names() == registered_names());
    probe_type::register_type();
    CHECK(dt::known_names() == registered_names());
  }

  TEST_CASE("agentActivity is built in and the default") {
    CHECK(dt::default_name == "agentActivity");
    const auto* aa = dt::find(dt::default_name);
    REQUIRE(aa != nullptr);
    CHECK(aa->name == "agentActivity");
    CHECK(aa->records_noun == "events");
    CHECK(dt::all().front() == aa);
    CHECK(dt::find("agentactivity") == nullptr);  // exact spelling only
    CHECK(dt::find("engagement") == nullptr);
    CHECK(dt::find("") == nullptr);

    // The fixture holds 7 events in one document per line (2 lines).
    const auto r = decode_through_registry(
        *aa, lpda::test::data_dir() / "agent_activity_wrapped.ndjson", lpda::decode::text_format::ndjson);
    REQUIRE(r.written.has_value());
    CHECK(*r.written == 7);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 7);
    CHECK(r.stats.events == 7);
    CHECK(r.stats.documents == 2);
  }

  TEST_CASE("a test-only data type decodes through the registry once added") {
    probe_type::register_type();
    const auto* probe = dt::find(probe_type::name);
    REQUIRE(probe != nullptr);
    CHECK(is_known(probe_type::name));
    CHECK(dt::all().back() == probe);

    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "probe.json", probe_file);
    lpda::test::write_file(dir / "probe.json.gz", lpda::test::gzip(probe_file));

    const auto nd = decode_through_registry(*probe, dir / "probe.json", lpda::decode::text_format::ndjson);
    REQUIRE(nd.written.has_value());
    CHECK(*nd.written == 3);
    CHECK(nd.out ==
          "{\"id\":\"a\",\"value\":1}\n{\"id\":\"b,c\",\"value\":null}\n{\"id\":\"d\",\"value\":-7}\n");
    CHECK(nd.stats.documents == 2);
    CHECK(nd.stats.envelopes == 2);
    CHECK(nd.stats.events == 3);
    CHECK(nd.stats.kind == lpda::decode::content_kind::json);

    const auto csv = decode_through_registry(*probe, dir / "probe.json.gz", lpda::decode::text_format::csv);
    REQUIRE(csv.written.has_value());
    CHECK(csv.out == "id,value\na,1\n\"b,c\",\nd,-7\n");
    CHECK(csv.stats.kind == lpda::decode::content_kind::gzip);
    CHECK(csv.stats.inflated_bytes == probe_file.size());
  }

  TEST_CASE("a test-only data type's errors carry the generic layer's document and path") {
    // The offset is where the parser stood when the value was refused: just past it.
    const std::string no_id = R"({"recordCollection":[{"id":"a"},{"value":2}]})";
    auto d = probe_type::from_bytes(no_id);
    auto r = tu::drain(*d);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == lpda::make_error_code(lpda::errc::bad_field));
    const auto no_id_end = no_id.find(R"({"value":2})") + 11;
    CHECK(r.error().message == "document 1 at byte offset " + std::to_string(no_id_end) +
                                   ": $.recordCollection[1].id: missing");

    const std::string text_value = R"({"recordCollection":[{"id":"a","value":"x"}]})";
    auto wrong = probe_type::from_bytes(text_value);
    auto w = tu::drain(*wrong);
    REQUIRE_FALSE(w.has_value());
    CHECK(w.error().code == lpda::make_error_code(lpda::errc::bad_field));
    const auto text_value_end = text_value.find(R"("x")") + 3;
    CHECK(w.error().message == "document 1 at byte offset " + std::to_string(text_value_end) +
                                   ": $.recordCollection[0].value: expected an integer, got a "
                                   "string");
  }

  TEST_CASE("adding a type twice or without its functions is refused") {
    probe_type::register_type();
    CHECK_THROWS_AS(dt::add(dt::data_type{probe_type::name, "probes",
                                          &probe_type::open_file, &probe_type::write_text}),
                    std::invalid_argument);
    CHECK_THROWS_AS(dt::add(dt::data_type{"agentActivity", "x", &probe_type::open_file,
                                          &probe_type::write_text}),
                    std::invalid_argument);
    CHECK_THROWS_AS(dt::add(dt::data_type{"incomplete", "x", nullptr, nullptr}),
                    std::invalid_argument);
    CHECK(dt::find("incomplete") == nullptr);
    CHECK_FALSE(is_known("incomplete"));
  }

  TEST_CASE("config validation accepts a registered type and lists every type when refusing") {
    probe_type::register_type();
    const auto env = lpda::config::environment::from_map({});
    const std::string ok_text =
        "database: d.db\n"
        "accounts:\n"
        "  - id: \"1\"\n"
        "    region: us\n"
        "    data_types: [probeType, agentActivity]\n"
        "    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}\n";
    const auto c = lpda::config::load_string(ok_text, "test.yaml", env);
    REQUIRE(c.accounts.size() == 1);
    CHECK(c.accounts[0].data_types == std::vector<std::string>{"probeType", "agentActivity"});

    std::string bad_text = ok_text;
    bad_text.replace(bad_text.find("probeType"), 9, "engagement");
    try {
      lpda::config::load_string(bad_text, "test.yaml", env);
      FAIL("an unknown data type was accepted");
    } catch (const lpda::config::config_error& e) {
      CHECK(std::string(e.what()).find(
                "unsupported data type \"engagement\" (supported: agentActivity, probeType)") !=
            std::string::npos);
    }
  }
}

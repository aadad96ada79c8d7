#include "lpda/agent_activity/decoder.hpp"

#include "agent_activity_events.hpp"
#include "decode_test_util.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using agent_activity_event = lpda::agent_activity::event;
using lpda::errc;
using agent_activity_decoder = lpda::agent_activity::decoder;
using lpda::decode::content_kind;
using lpda::decode::limits;
namespace tu = lpda::decode::test_util;

namespace {

bool has_code(const lpda::error& e, errc c) {
  return e.code == lpda::make_error_code(c);
}

std::string fixture(const char* name) {
  return lpda::test::read_file(lpda::test::data_dir() / name);
}

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const auto at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "test input lacks " << from);
  s.replace(at, from.size(), to);
  return s;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

agent_activity_event make(std::string session, std::int64_t agent, std::int64_t ts,
                          std::int64_t type, std::int64_t state, std::int64_t prev_state,
                          std::int64_t prev_conc, std::int64_t conc, std::int64_t max_conc,
                          std::int64_t group, std::string employee, std::string user,
                          std::string nick, std::string login) {
  agent_activity_event e = lpda::test::activity_event(std::move(session), agent, ts, type, state,
                                                      prev_state, prev_conc, conc);
  e.max_concurrent_eng = max_conc;
  e.agent_group_id = group;
  e.agent_employee_id = std::move(employee);
  e.agent_username = std::move(user);
  e.agent_nickname = std::move(nick);
  e.agent_loginname = std::move(login);
  return e;
}

// The values tests/data/README.md states for agent_activity_docs_example.json.
agent_activity_event docs_event() {
  return make("75555851-684867733", 9, 1465992202047, 3, 0, 1, 0, 0, -9, -1, "", "CRAgent",
              "CRAgent", "CRAgent@liveperson.com");
}

// The values tests/data/README.md states for agent_activity_wrapped.ndjson, completed from the
// file.
std::vector<agent_activity_event> wrapped_events() {
  const std::string s1 = "12345678-1001";
  const std::string s2 = "12345678-1002";
  auto jane = [&](std::int64_t ts, std::int64_t type, std::int64_t state, std::int64_t prev,
                  std::int64_t pc, std::int64_t c, std::int64_t max) {
    return make(s1, 9, ts, type, state, prev, pc, c, max, -1, "E-17", "jdoe", "Jane",
                "jane.doe@example.com");
  };
  auto maria = [&](std::int64_t ts, std::int64_t type, std::int64_t state, std::int64_t prev,
                   std::int64_t max) {
    return make(s2, 17, ts, type, state, prev, 0, 0, max, 42, "", "mlopez", "María",
                "maria.lopez@example.com");
  };
  return {
      jane(1767258000000, 3, 2, 1, 0, 0, -9),  // login
      jane(1767258060000, 1, 2, 2, 0, 1, 3),   // chat 0→1
      jane(1767258060000, 1, 2, 2, 1, 2, 3),   // chat 1→2, same millisecond
      jane(1767258600000, 2, 4, 2, 2, 2, 3),   // away
      jane(1767261600000, 4, 1, 4, 0, 0, -9),  // logout
      maria(1767258005000, 3, 2, 1, -9),      maria(1767259805000, 2, 3, 2, 3),
  };
}

// One compact wrapped document (the real-file framing) holding `events` for `session`.
std::string wrapped_doc(std::string_view session, std::string_view events) {
  return std::string(
             R"({"dataType":{"com.liveperson.dataaccess.DataTypeEnum":"AgentActivity"},)"
             R"("metaData":{"com.liveperson.dataaccess.MetaData":{"accountId":{"string":"12345678"},)"
             R"("schemaVersion":"1.0.0.4","startTime":{"long":1767258000000},"endTime":null}},)"
             R"("recordCollection":{"array":[{"body":{"com.liveperson.dataaccess.AgentActivityData":{)"
             R"("header":{"com.liveperson.dataaccess.AgentHeader":{"agentSessionId":{"string":")") +
         std::string(session) + R"("}}},"agentSessionsData":{"array":[)" + std::string(events) +
         "]}}}}]}}";
}

// One wrapped event with every field set.
const std::string base_event =
    R"({"agentID":{"long":9},"type":{"long":3},"state":{"long":2},"timestamp":{"long":1767258000000},)"
    R"("prevState":{"long":1},"agentEmployeeId":{"string":"E-17"},"agentUsername":{"string":"jdoe"},)"
    R"("agentNickname":{"string":"Jane"},"agentLoginname":{"string":"jane.doe@example.com"},)"
    R"("prevConcurrentEng":{"long":0},"concurrentEng":{"long":0},"maxConcurrentEng":{"long":-9},)"
    R"("agentGroupID":{"long":-1}})";

agent_activity_event base_expected(std::string session = "S-1") {
  return make(std::move(session), 9, 1767258000000, 3, 2, 1, 0, 0, -9, -1, "E-17", "jdoe", "Jane",
              "jane.doe@example.com");
}

// Decodes and expects success.
std::vector<agent_activity_event> ok(std::string bytes, limits lim = {}) {
  auto r = tu::decode_bytes<agent_activity_decoder>(std::move(bytes), lim);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return *r;
}

// Decodes and expects failure.
lpda::error fails(std::string bytes, limits lim = {}) {
  auto r = tu::decode_bytes<agent_activity_decoder>(std::move(bytes), lim);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_SUITE("decode") {
  TEST_CASE(
      "docs example gives two identical events with the documented values (plain and gzipped)") {
    const std::string text = fixture("agent_activity_docs_example.json");
    for (const std::string& bytes : {text, lpda::test::gzip(text)}) {
      auto d = agent_activity_decoder::from_bytes(bytes);
      auto events = tu::drain(*d);
      REQUIRE(events.has_value());
      REQUIRE(events->size() == 2);
      CHECK((*events)[0] == docs_event());
      CHECK((*events)[1] == docs_event());
      CHECK_FALSE((*events)[0].user_profile_ids.has_value());
      CHECK(d->stats().documents == 2);
      CHECK(d->stats().events == 2);
      CHECK(d->stats().inflated_bytes == text.size());
      CHECK(d->stats().input_bytes == bytes.size());
      CHECK(d->stats().kind == (bytes == text ? content_kind::json : content_kind::gzip));
    }
  }

  TEST_CASE("wrapped NDJSON gives seven events with the documented values (plain and gzipped)") {
    const std::string text = fixture("agent_activity_wrapped.ndjson");
    for (const std::string& bytes : {text, lpda::test::gzip(text)}) {
      const auto events = ok(bytes);
      REQUIRE(events.size() == 7);
      const auto expected = wrapped_events();
      for (std::size_t i = 0; i < 7; ++i) {
        CAPTURE(i);
        CHECK(events[i] == expected[i]);
      }
      CHECK(events[5].agent_nickname == "María");
      CHECK(events[5].agent_employee_id == "");
    }
  }

  TEST_CASE(
      "files are sniffed by content (gzip without .gz in its name and plain JSON named .gz)") {
    lpda::test::temp_dir dir;
    const std::string text = fixture("agent_activity_wrapped.ndjson");
    lpda::test::write_file(dir / "Agent.1767258000000.1767261600000.part-00001-0",
                           lpda::test::gzip(text));
    lpda::test::write_file(dir / "plain.json.gz", text);
    for (const char* name : {"Agent.1767258000000.1767261600000.part-00001-0", "plain.json.gz"}) {
      CAPTURE(name);
      auto d = agent_activity_decoder::open_file(dir / name);
      REQUIRE(d.has_value());
      auto events = tu::drain(**d);
      REQUIRE(events.has_value());
      CHECK(*events == wrapped_events());
    }
    auto missing = agent_activity_decoder::open_file(dir / "absent");
    REQUIRE_FALSE(missing.has_value());
    CHECK(has_code(missing.error(), errc::unreadable));
    CHECK(missing.error().message.find("absent") != std::string::npos);
  }

  TEST_CASE(
      "multi-member gzip yields the events of every member even when a member ends mid-document") {
    const std::string docs = fixture("agent_activity_docs_example.json");
    const std::string wrapped = fixture("agent_activity_wrapped.ndjson");
    auto events = ok(lpda::test::gzip(docs) + lpda::test::gzip(wrapped));
    REQUIRE(events.size() == 9);
    CHECK(events[0] == docs_event());
    CHECK(events[1] == docs_event());
    CHECK(std::vector(events.begin() + 2, events.end()) == wrapped_events());

    const std::size_t cut = wrapped.size() / 2;  // inside the first document
    CHECK(ok(lpda::test::gzip(wrapped.substr(0, cut)) + lpda::test::gzip(wrapped.substr(cut))) ==
          wrapped_events());
  }

  TEST_CASE("gzip framing errors fail the decode") {
    const std::string wrapped = fixture("agent_activity_wrapped.ndjson");
    const std::string gz = lpda::test::gzip(wrapped);
    CHECK(ok(gz + std::string(1000, '\0')) == wrapped_events());
    CHECK(has_code(fails(gz + "junk"), errc::trailing_data));
    CHECK(has_code(fails(gz.substr(0, gz.size() - 5)), errc::gzip_truncated));
    std::string bad_crc = gz;
    bad_crc[gz.size() - 6] = static_cast<char>(bad_crc[gz.size() - 6] ^ 0x40);
    CHECK(has_code(fails(bad_crc), errc::gzip_corrupt));
  }

  TEST_CASE("zip and unknown input are refused and empty input has no events") {
    const auto zip = fails(std::string("PK\x03\x04\x0a\x00\x00\x00", 8));
    CHECK(has_code(zip, errc::unsupported_format));
    CHECK(zip.message.find("zip") != std::string::npos);
    const auto bin = fails(std::string("\x00\x01\x02\x03", 4));
    CHECK(has_code(bin, errc::unsupported_format));
    CHECK(bin.message.find("00 01 02 03") != std::string::npos);

    auto empty = agent_activity_decoder::from_bytes("");
    std::vector<agent_activity_event> out(3);
    auto r = empty->next_batch(out);
    REQUIRE(r.has_value());
    CHECK_FALSE(*r);
    CHECK(out.empty());
    CHECK(empty->stats().kind == content_kind::empty);
    CHECK(ok(" \r\n\t ").empty());
    CHECK(ok(lpda::test::gzip("")).empty());
  }

  TEST_CASE(
      "framing accepts a BOM and CRLF and pretty-printing and any whitespace between documents") {
    const std::string wrapped = fixture("agent_activity_wrapped.ndjson");
    CHECK(ok("\xEF\xBB\xBF" + wrapped) == wrapped_events());
    CHECK(ok(lpda::test::gzip("\xEF\xBB\xBF" + wrapped)) == wrapped_events());
    CHECK(ok(replace_all(wrapped, "\n", "\r\n")) == wrapped_events());
    CHECK(ok("\r\n\t  " + replace_all(wrapped, "\n", "\n\n \t\r\n")) == wrapped_events());
    // Documents back to back with no separator at all.
    CHECK(ok(replace_all(wrapped, "}\n{", "}{")) == wrapped_events());
    // Pretty-printed with CRLF inside documents.
    CHECK(ok(replace_all(fixture("agent_activity_docs_example.json"), "\n", "\r\n")).size() == 2);
    // A BOM anywhere but the start is malformed.
    CHECK(has_code(fails(wrapped + "\xEF\xBB\xBF{}"), errc::malformed_json));
  }

  TEST_CASE("unions are unwrapped at every level whether wrapped or not") {
    const auto expected = base_expected();
    // Everything plain.
    std::string plain =
        R"({"recordCollection":[{"body":{"header":{"agentSessionId":"S-1"},"agentSessionsData":[)"
        R"({"agentID":9,"type":3,"state":2,"timestamp":1767258000000,"prevState":1,)"
        R"("agentEmployeeId":"E-17","agentUsername":"jdoe","agentNickname":"Jane",)"
        R"("agentLoginname":"jane.doe@example.com","prevConcurrentEng":0,"concurrentEng":0,)"
        R"("maxConcurrentEng":-9,"agentGroupID":-1}]}}]})";
    CHECK(ok(plain) == std::vector{expected});
    // Everything wrapped, including array items, the record and doubly wrapped values.
    std::string wrapped =
        wrapped_doc("S-1", R"({"com.liveperson.dataaccess.AgentSession":)" + base_event + "}");
    wrapped =
        replace_once(wrapped, R"([{"body")", R"([{"com.liveperson.dataaccess.Record":{"body")");
    wrapped.insert(wrapped.size() - 3, "}");  // closes the Record wrapper before "]}}"
    wrapped = replace_once(wrapped, R"("type":{"long":3})", R"("type":{"int":{"long":3}})");
    wrapped = replace_once(wrapped, R"("state":{"long":2})", R"("state":{"int":2})");
    CHECK(ok(wrapped_doc("S-1", base_event)) == std::vector{expected});
    CHECK(ok(wrapped) == std::vector{expected});
    // double-typed integers: {"double": 2.0} and 1e0 style numbers are integral
    auto dbl = replace_once(wrapped_doc("S-1", base_event), R"("prevState":{"long":1})",
                            R"("prevState":{"double":1.0})");
    CHECK(ok(dbl) == std::vector{expected});
  }

  TEST_CASE("field names match case-insensitively") {
    std::string e = base_event;
    e = replace_once(e, "agentUsername", "agentUserName");
    e = replace_once(e, "agentNickname", "agentNickName");
    e = replace_once(e, "agentLoginname", "agentLoginName");
    e = replace_once(e, "agentID", "AGENTID");
    e = replace_once(e, "prevConcurrentEng", "PrevConcurrentEng");
    std::string doc = replace_once(wrapped_doc("S-1", e), "agentSessionId", "AgentSessionID");
    doc = replace_once(doc, "recordCollection", "RecordCollection");
    CHECK(ok(doc) == std::vector{base_expected()});
  }

  TEST_CASE("agentEmployeeId as a string or a long or a plain number or null") {
    auto decode_with = [](std::string_view value) {
      return ok(wrapped_doc("S-1", replace_once(base_event, R"({"string":"E-17"})", value)));
    };
    CHECK(decode_with(R"({"long":123456789012})")[0].agent_employee_id == "123456789012");
    CHECK(decode_with(R"(-5)")[0].agent_employee_id == "-5");
    CHECK(decode_with(R"({"string":""})")[0].agent_employee_id == "");
    CHECK_FALSE(decode_with("null")[0].agent_employee_id.has_value());
    CHECK(has_code(
        fails(wrapped_doc("S-1", replace_once(base_event, R"({"string":"E-17"})", "true"))),
        errc::bad_field));
  }

  TEST_CASE("unknown fields and unknown enum values are accepted") {
    std::string e = replace_once(base_event, R"("type":{"long":3})", R"("type":{"long":7})");
    e = replace_once(e, R"("state":{"long":2})", R"("state":{"long":99})");
    e = replace_once(
        e, R"({"agentID")",
        R"({"futureField":{"com.liveperson.dataaccess.Future":{"a":[1,{"b":null}],"agentID":{"long":1}}},)"
        R"("skills":{"array":[3,4]},"agentID")");
    std::string doc = replace_once(wrapped_doc("S-1", e), R"("recordCollection")",
                                   R"("extra":{"map":{"k":"v"}},"recordCollection")");
    auto events = ok(doc);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == 7);
    CHECK(events[0].state == 99);
    CHECK(events[0].agent_id == 9);  // the nested agentID of the unknown field is not read
  }

  TEST_CASE("null endTime and nulls in key fields and attributes") {
    // endTime null is in the docs example (covered above) and in the second wrapped line.
    std::string e = base_event;
    e = replace_once(e, R"("type":{"long":3})", R"("type":null)");
    e = replace_once(e, R"("state":{"long":2})", R"("state":null)");
    e = replace_once(e, R"("prevState":{"long":1})", R"("prevState":null)");
    e = replace_once(e, R"("prevConcurrentEng":{"long":0})", R"("prevConcurrentEng":null)");
    e = replace_once(e, R"("concurrentEng":{"long":0})", R"("concurrentEng":null)");
    e = replace_once(e, R"("maxConcurrentEng":{"long":-9})", R"("maxConcurrentEng":null)");
    e = replace_once(e, R"("agentGroupID":{"long":-1})", R"("agentGroupID":null)");
    e = replace_once(e, R"("agentUsername":{"string":"jdoe"})", R"("agentUsername":null)");
    auto events = ok(wrapped_doc("S-1", e));
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == -1);
    CHECK(events[0].state == -1);
    CHECK(events[0].prev_state == -1);
    CHECK(events[0].prev_concurrent_eng == -1);
    CHECK(events[0].concurrent_eng == -1);
    CHECK_FALSE(events[0].max_concurrent_eng.has_value());
    CHECK_FALSE(events[0].agent_group_id.has_value());
    CHECK_FALSE(events[0].agent_username.has_value());
    CHECK(events[0].agent_nickname == "Jane");

    // Only the required fields present: the key fields default to -1 as well.
    auto minimal = ok(wrapped_doc("S-1", R"({"agentID":{"long":1},"timestamp":{"long":2}})"));
    REQUIRE(minimal.size() == 1);
    CHECK(minimal[0].state == -1);
    CHECK(minimal[0].type == -1);
    CHECK_FALSE(minimal[0].agent_nickname.has_value());
  }

  TEST_CASE("userProfileIDs wrapped or plain or with wrapped items or null") {
    auto with = [](std::string_view v) {
      return ok(wrapped_doc(
          "S-1", replace_once(base_event, R"({"agentID")",
                              "{\"userProfileIDs\":" + std::string(v) + R"(,"agentID")")));
    };
    using ids = std::vector<std::int64_t>;
    CHECK(with(R"({"array":[2438730312,2438730212]})")[0].user_profile_ids ==
          ids{2438730312, 2438730212});
    CHECK(with(R"([1,{"long":9223372036854775807}])")[0].user_profile_ids ==
          ids{1, 9223372036854775807});
    CHECK(with(R"({"array":[]})")[0].user_profile_ids == ids{});
    CHECK_FALSE(with("null")[0].user_profile_ids.has_value());
    const auto e =
        fails(wrapped_doc("S-1", replace_once(base_event, R"({"agentID")",
                                              R"({"userProfileIDs":[1,"x"],"agentID")")));
    CHECK(has_code(e, errc::bad_field));
    CHECK(e.message.find("$.recordCollection[0].body.agentSessionsData[0].userProfileIDs[1]: "
                         "expected an integer") != std::string::npos);
  }

  TEST_CASE("a header after the events still names their session") {
    const std::string doc = R"({"recordCollection":[{"body":{"agentSessionsData":[)" + base_event +
                            "," + base_event + R"(],"header":{"agentSessionId":"late"}}}]})";
    CHECK(ok(doc) == std::vector{base_expected("late"), base_expected("late")});
  }

  TEST_CASE("records without events need no header and other bodies are ignored") {
    const std::string doc =
        R"({"recordCollection":{"array":[{"body":{"com.liveperson.dataaccess.AgentActivityData":{"agentSessionsData":{"array":[]}}}},)"
        R"({"body":null},null,{"body":{"com.liveperson.dataaccess.SurveyData":{"surveys":{"array":[{"id":1}]}}}}]}})";
    CHECK(ok(doc).empty());
    CHECK(ok(R"({"recordCollection":null})").empty());
    CHECK(ok(R"({"dataType":"AgentActivity"})").empty());
  }

  TEST_CASE("JSON without the Data Access envelope is not a Data Access file") {
    // An error page or a listing served in place of a file would otherwise read as an hour
    // without events, and be stored as one.
    const auto e = fails(R"({"status":"maintenance","message":"service temporarily unavailable"})");
    CHECK(has_code(e, errc::unsupported_format));
    CHECK(e.message.find("not a Data Access file: none of its 1 JSON document(s)") == 0);
    const auto two = fails("{\"a\":[1,2]}\n{\"b\":{}}\n");
    CHECK(has_code(two, errc::unsupported_format));
    CHECK(two.message.find("none of its 2 JSON document(s)") != std::string::npos);
    // One envelope among other documents is a Data Access file; so is an empty file.
    CHECK(ok(R"({"a":1} {"metaData":null})").empty());
    CHECK(ok("").empty());
  }

  TEST_CASE("missing or null required fields fail with the JSON path and document and offset") {
    const std::string second_without_id = wrapped_doc(
        "S-1", base_event + "," + replace_once(base_event, R"("agentID":{"long":9},)", ""));
    const auto missing = fails(second_without_id);
    CHECK(has_code(missing, errc::bad_field));
    CHECK(missing.message.find("document 1 at byte offset ") == 0);
    CHECK(missing.message.find(
              ": $.recordCollection[0].body.agentSessionsData[1].agentID: missing") !=
          std::string::npos);

    const std::string doc2 = wrapped_doc(
        "S-1", replace_once(base_event, R"("agentID":{"long":9})", R"("agentID":null)"));
    const std::string both = wrapped_doc("S-0", base_event) + "\n" + doc2;
    const auto null_id = fails(both);
    CHECK(has_code(null_id, errc::bad_field));
    // The offset is where the parser stood: just after the null, inside the second document.
    const std::size_t after_null =
        wrapped_doc("S-0", base_event).size() + 1 + doc2.find(R"("agentID":null)") + 14;
    CHECK(null_id.message == "document 2 at byte offset " + std::to_string(after_null) +
                                 ": $.recordCollection[0].body.agentSessionsData[0].agentID: null");

    const auto no_ts = fails(
        wrapped_doc("S-1", replace_once(base_event, R"("timestamp":{"long":1767258000000},)", "")));
    CHECK(no_ts.message.find("agentSessionsData[0].timestamp: missing") != std::string::npos);

    const auto no_header =
        fails(R"({"recordCollection":[{"body":{"agentSessionsData":[)" + base_event + "]}}]}");
    CHECK(has_code(no_header, errc::bad_field));
    CHECK(no_header.message.find("$.recordCollection[0].body.header.agentSessionId: missing") !=
          std::string::npos);

    const auto null_session =
        fails(replace_once(wrapped_doc("S-1", base_event), R"({"string":"S-1"})", "null"));
    CHECK(null_session.message.find("agentSessionId: null") != std::string::npos);
  }

  TEST_CASE("wrong types and out-of-range integers fail with the path") {
    auto with_id = [](std::string_view v) {
      return fails(wrapped_doc("S-1", replace_once(base_event, R"({"long":9})", v)));
    };
    const auto str = with_id(R"({"string":"9"})");
    CHECK(has_code(str, errc::bad_field));
    CHECK(str.message.find("agentSessionsData[0].agentID: expected an integer, got a string") !=
          std::string::npos);
    CHECK(with_id("9223372036854775808").message.find("agentID: integer out of int64 range") !=
          std::string::npos);
    CHECK(with_id("-9223372036854775809").message.find("agentID: integer out of int64 range") !=
          std::string::npos);
    CHECK(with_id("1e300").message.find("integer out of int64 range") != std::string::npos);
    CHECK(with_id("1.5").message.find("agentID: expected an integer, got 1.5") !=
          std::string::npos);
    CHECK(with_id("[9]").message.find("agentID: expected an integer, got an array") !=
          std::string::npos);
    CHECK(with_id(R"({"long":9,"int":9})").message.find("exactly one key") != std::string::npos);
    CHECK(
        has_code(fails(wrapped_doc("S-1", replace_once(base_event, R"({"string":"jdoe"})", "17"))),
                 errc::bad_field));
    CHECK(has_code(fails(R"({"recordCollection":"none"})"), errc::bad_field));
    CHECK(has_code(fails("[1,2]"), errc::bad_field));
    // The int64 extremes themselves are fine.
    auto ok_max =
        ok(wrapped_doc("S-1", replace_once(base_event, R"({"long":9})", "-9223372036854775808")));
    CHECK(ok_max[0].agent_id == INT64_MIN);
  }

  TEST_CASE("a malformed middle document fails naming document 2 and its byte offset") {
    const std::string lines = fixture("agent_activity_wrapped.ndjson");
    const std::string first = lines.substr(0, lines.find('\n') + 1);
    const std::string third = lines.substr(lines.find('\n') + 1);
    const std::string broken = R"({"dataType":{"x":1},,"y":2})"
                               "\n";
    for (bool gz : {false, true}) {
      std::string bytes = first + broken + third;
      if (gz) bytes = lpda::test::gzip(bytes);
      auto d = agent_activity_decoder::from_bytes(bytes, limits{.batch_size = 1});
      std::vector<agent_activity_event> out;
      // The first document's five events come out, then the error — never a skipped document.
      int batches = 0;
      lpda::result<bool> r = true;
      while ((r = d->next_batch(out)) && *r) ++batches;
      REQUIRE_FALSE(r.has_value());
      CHECK(batches == 5);
      CHECK(has_code(r.error(), errc::malformed_json));
      CHECK(r.error().message.find("document 2 at byte offset " +
                                   std::to_string(first.size() + 20) + ": ") == 0);
      // The decoder stays failed.
      auto again = d->next_batch(out);
      REQUIRE_FALSE(again.has_value());
      CHECK(again.error().message == r.error().message);
      CHECK(out.empty());
    }
    const auto cut = fails(lines.substr(0, lines.size() - 10));
    CHECK(has_code(cut, errc::malformed_json));
    CHECK(cut.message.find("document 2 at byte offset") == 0);
    CHECK(cut.message.find("the content ends inside the document") != std::string::npos);
  }

  TEST_CASE("NUL bytes and binary content inside gzip are malformed JSON") {
    const std::string wrapped = fixture("agent_activity_wrapped.ndjson");
    const auto nul = fails(wrapped + std::string(1, '\0') + "{}");
    CHECK(has_code(nul, errc::malformed_json));
    CHECK(nul.message.find("document 3 at byte offset " + std::to_string(wrapped.size())) == 0);
    const auto inside = fails(replace_once(wrapped, "jdoe", std::string("jd\0e", 4)));
    CHECK(has_code(inside, errc::malformed_json));
    CHECK(inside.message.find("document 1 at byte offset ") == 0);
    const auto binary =
        fails(lpda::test::gzip(std::string("\x7f"
                                           "ELF\x02\x01\x01",
                                           7)));
    CHECK(has_code(binary, errc::malformed_json));
    CHECK(binary.message.find("document 1 at byte offset 0") == 0);
  }

  TEST_CASE("deep nesting is refused without exhausting the stack") {
    const std::string deep = R"({"recordCollection":[],"x":)" + std::string(100'000, '[') +
                             std::string(100'000, ']') + "}";
    const auto e = fails(deep);
    CHECK(has_code(e, errc::malformed_json));
    CHECK(e.message.find("nesting deeper than 256 levels") != std::string::npos);
    // 200 levels is fine.
    CHECK(ok(R"({"recordCollection":[],"x":)" + std::string(200, '[') + std::string(200, ']') + "}")
              .empty());
  }

  TEST_CASE("batches hold at most batch_size events in file order") {
    const std::string wrapped = fixture("agent_activity_wrapped.ndjson");
    std::vector<std::size_t> sizes;
    auto d = agent_activity_decoder::from_bytes(wrapped, limits{.batch_size = 3});
    auto events = tu::drain(*d, &sizes);
    REQUIRE(events.has_value());
    CHECK(*events == wrapped_events());
    CHECK(sizes == std::vector<std::size_t>{3, 3, 1});

    // One document with 2500 events, and a default batch of 1024.
    std::string many;
    for (int i = 0; i < 2500; ++i) {
      if (i) many += ',';
      many += replace_once(base_event, "1767258000000", std::to_string(1767258000000 + i));
    }
    sizes.clear();
    auto big = agent_activity_decoder::from_bytes(lpda::test::gzip(wrapped_doc("S-1", many)));
    auto all = tu::drain(*big, &sizes);
    REQUIRE(all.has_value());
    CHECK(sizes == std::vector<std::size_t>{1024, 1024, 452});
    REQUIRE(all->size() == 2500);
    for (int i = 0; i < 2500; ++i)
      CHECK((*all)[static_cast<std::size_t>(i)].timestamp_ms == 1767258000000 + i);
    CHECK(big->stats().events == 2500);
    CHECK(big->stats().documents == 1);
  }

  TEST_CASE("document and inflated caps") {
    const std::string wrapped = fixture("agent_activity_wrapped.ndjson");
    const std::size_t first_len = wrapped.find('\n');  // the first document's length
    // A document of exactly the cap is fine; one byte less fails naming the document.
    CHECK(ok(wrapped, limits{.max_document_bytes = first_len}).size() == 7);
    const auto e = fails(wrapped, limits{.max_document_bytes = first_len - 1});
    CHECK(has_code(e, errc::document_limit));
    CHECK(e.message == "document 1 at byte offset 0: larger than max_document_bytes (" +
                           std::to_string(first_len - 1) + " bytes)");
    const auto infl =
        fails(lpda::test::gzip(wrapped), limits{.max_inflated_bytes = wrapped.size() - 1});
    CHECK(has_code(infl, errc::inflated_limit));
    CHECK(ok(lpda::test::gzip(wrapped), limits{.max_inflated_bytes = wrapped.size()}).size() == 7);
  }
}

#include "lpda/agent_activity/columns.hpp"
#include "lpda/agent_activity/decoder.hpp"

#include "decode_test_util.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using agent_activity_event = lpda::agent_activity::event;
using namespace lpda::agent_activity;

namespace {

agent_activity_event docs_event() {
  agent_activity_event e;
  e.agent_session_id = "75555851-684867733";
  e.agent_id = 9;
  e.timestamp_ms = 1465992202047;
  e.type = 3;
  e.state = 0;
  e.prev_state = 1;
  e.prev_concurrent_eng = 0;
  e.concurrent_eng = 0;
  e.max_concurrent_eng = -9;
  e.agent_group_id = -1;
  e.agent_employee_id = "";
  e.agent_username = "CRAgent";
  e.agent_nickname = "CRAgent";
  e.agent_loginname = "CRAgent@liveperson.com";
  return e;
}

}  // namespace

TEST_SUITE("decode") {
  TEST_CASE("to_ndjson writes every field in order with nulls for absent attributes") {
    CHECK(
        to_ndjson(docs_event()) ==
        R"({"agentSessionId":"75555851-684867733","agentID":9,"timestamp":1465992202047,"type":3,"state":0,)"
        R"("prevState":1,"prevConcurrentEng":0,"concurrentEng":0,"maxConcurrentEng":-9,"agentGroupID":-1,)"
        R"("agentEmployeeId":"","agentUsername":"CRAgent","agentNickname":"CRAgent",)"
        R"("agentLoginname":"CRAgent@liveperson.com","userProfileIDs":null})");

    agent_activity_event e;
    e.agent_session_id = "a\"b\\c\nd";
    e.agent_id = -1;
    e.timestamp_ms = INT64_MAX;
    e.agent_nickname = "María\t";
    e.user_profile_ids = std::vector<std::int64_t>{2438730312, -2};
    CHECK(
        to_ndjson(e) ==
        R"({"agentSessionId":"a\"b\\c\nd","agentID":-1,"timestamp":9223372036854775807,"type":-1,"state":-1,)"
        R"("prevState":-1,"prevConcurrentEng":-1,"concurrentEng":-1,"maxConcurrentEng":null,"agentGroupID":null,)"
        R"("agentEmployeeId":null,"agentUsername":null,"agentNickname":"María\t","agentLoginname":null,)"
        R"("userProfileIDs":[2438730312,-2]})");
  }

  TEST_CASE("ndjson lines of decoded events decode again to the same events") {
    const std::string text =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
    auto first = lpda::decode::test_util::decode_bytes<decoder>(text);
    REQUIRE(first.has_value());
    // Re-wrap each line as an event of a document (the NDJSON keys are the API's field names).
    for (const auto& e : *first) {
      const std::string doc = R"({"recordCollection":[{"body":{"header":{"agentSessionId":")" +
                              e.agent_session_id + R"("},"agentSessionsData":[)" + to_ndjson(e) +
                              "]}}]}";
      auto again = lpda::decode::test_util::decode_bytes<decoder>(doc);
      REQUIRE(again.has_value());
      REQUIRE(again->size() == 1);
      CHECK((*again)[0] == e);
    }
  }

  TEST_CASE("csv header and fields in order with RFC 4180 quoting and empty distinct from absent") {
    CHECK(csv_header() ==
          "agentSessionId,agentID,timestamp,type,state,prevState,prevConcurrentEng,concurrentEng,"
          "maxConcurrentEng,"
          "agentGroupID,agentEmployeeId,agentUsername,agentNickname,agentLoginname,userProfileIDs");
    CHECK(to_csv(docs_event()) ==
          "75555851-684867733,9,1465992202047,3,0,1,0,0,-9,-1,\"\",CRAgent,CRAgent,CRAgent@"
          "liveperson.com,");

    agent_activity_event e;
    e.agent_session_id = "s,1";
    e.agent_id = 17;
    e.timestamp_ms = 5;
    e.agent_username = "say \"hi\"";
    e.agent_nickname = "line\r\nbreak";
    e.agent_loginname = "María";
    e.user_profile_ids = std::vector<std::int64_t>{2438730312, 2438730212};
    CHECK(to_csv(e) ==
          "\"s,1\",17,5,-1,-1,-1,-1,-1,,,,\"say "
          "\"\"hi\"\"\",\"line\r\nbreak\",María,2438730312;2438730212");
    // The header and every record have the same number of fields.
    auto fields = [](std::string_view s) { return std::count(s.begin(), s.end(), ',') + 1; };
    CHECK(fields(csv_header()) == 15);
    CHECK(fields(to_csv(docs_event())) == 15);
  }
}

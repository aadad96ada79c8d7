#include "lpda/agent_activity/columns.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

namespace lpda::agent_activity {

std::string to_ndjson(const event& e) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto opt_int = [&](const char* key, const std::optional<std::int64_t>& v) {
    w.Key(key);
    if (v)
      w.Int64(*v);
    else
      w.Null();
  };
  auto opt_str = [&](const char* key, const std::optional<std::string>& v) {
    w.Key(key);
    if (v)
      w.String(v->data(), static_cast<rapidjson::SizeType>(v->size()));
    else
      w.Null();
  };
  w.StartObject();
  w.Key("agentSessionId");
  w.String(e.agent_session_id.data(), static_cast<rapidjson::SizeType>(e.agent_session_id.size()));
  w.Key("agentID");
  w.Int64(e.agent_id);
  w.Key("timestamp");
  w.Int64(e.timestamp_ms);
  w.Key("type");
  w.Int64(e.type);
  w.Key("state");
  w.Int64(e.state);
  w.Key("prevState");
  w.Int64(e.prev_state);
  w.Key("prevConcurrentEng");
  w.Int64(e.prev_concurrent_eng);
  w.Key("concurrentEng");
  w.Int64(e.concurrent_eng);
  opt_int("maxConcurrentEng", e.max_concurrent_eng);
  opt_int("agentGroupID", e.agent_group_id);
  opt_str("agentEmployeeId", e.agent_employee_id);
  opt_str("agentUsername", e.agent_username);
  opt_str("agentNickname", e.agent_nickname);
  opt_str("agentLoginname", e.agent_loginname);
  w.Key("userProfileIDs");
  if (e.user_profile_ids) {
    w.StartArray();
    for (auto id : *e.user_profile_ids) w.Int64(id);
    w.EndArray();
  } else {
    w.Null();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string_view csv_header() noexcept {
  return "agentSessionId,agentID,timestamp,type,state,prevState,prevConcurrentEng,concurrentEng,"
         "maxConcurrentEng,agentGroupID,agentEmployeeId,agentUsername,agentNickname,agentLoginname,"
         "userProfileIDs";
}

std::string to_csv(const event& e) {
  std::string out;
  out.reserve(160);
  decode::append_csv_field(out, e.agent_session_id);
  for (std::int64_t v : {e.agent_id, e.timestamp_ms, e.type, e.state, e.prev_state,
                         e.prev_concurrent_eng, e.concurrent_eng}) {
    out += ',';
    out += std::to_string(v);
  }
  for (const auto* v : {&e.max_concurrent_eng, &e.agent_group_id}) {
    out += ',';
    if (*v) out += std::to_string(**v);
  }
  for (const auto* v :
       {&e.agent_employee_id, &e.agent_username, &e.agent_nickname, &e.agent_loginname}) {
    out += ',';
    if (*v) decode::append_csv_field(out, **v);
  }
  out += ',';
  if (e.user_profile_ids) {
    if (e.user_profile_ids->empty()) {
      out += "\"\"";
    } else {
      for (std::size_t i = 0; i < e.user_profile_ids->size(); ++i) {
        if (i != 0) out += ';';
        out += std::to_string((*e.user_profile_ids)[i]);
      }
    }
  }
  return out;
}

const decode::text_columns<event>& columns() noexcept {
  static const decode::text_columns<event> c{csv_header(), &to_ndjson, &to_csv};
  return c;
}

result<std::uint64_t> write_text(record_source& source, decode::text_format format,
                                 std::ostream& out) {
  auto* events = as_typed<event>(source);
  if (!events) throw std::logic_error("agent_activity::write_text: not a source of events");
  return decode::write_text(*events, format, columns(), out);
}

}  // namespace lpda::agent_activity

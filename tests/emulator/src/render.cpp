#include "lpda/emulator/render.hpp"

#include "lpda/emulator/time_format.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace lpda::emulator {
namespace {

template <class W>
void str(W& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <class W>
void wrapped_long(W& w, std::int64_t v) {
  w.StartObject();
  str(w, "long");
  w.Int64(v);
  w.EndObject();
}

template <class W>
void wrapped_string(W& w, std::string_view v) {
  w.StartObject();
  str(w, "string");
  str(w, v);
  w.EndObject();
}

template <class W>
void write_event(W& w, const agent_event& e, bool table_casing, const variants& v) {
  w.StartObject();
  str(w, "agentID");
  wrapped_long(w, e.agent_id);
  str(w, "type");
  wrapped_long(w, e.type);
  str(w, "state");
  wrapped_long(w, e.state);
  str(w, "timestamp");
  wrapped_long(w, e.timestamp);
  str(w, "prevState");
  wrapped_long(w, e.prev_state);
  str(w, "agentEmployeeId");
  if (!v.employee_id_as_long) {
    wrapped_string(w, e.employee_id);
  } else if (e.employee_id.empty()) {
    w.Null();
  } else {
    wrapped_long(w, std::stoll(e.employee_id));
  }
  str(w, table_casing ? "agentUserName" : "agentUsername");
  wrapped_string(w, e.username);
  str(w, table_casing ? "agentNickName" : "agentNickname");
  wrapped_string(w, e.nickname);
  str(w, table_casing ? "agentLoginName" : "agentLoginname");
  wrapped_string(w, e.loginname);
  str(w, "prevConcurrentEng");
  wrapped_long(w, e.prev_concurrent);
  str(w, "concurrentEng");
  wrapped_long(w, e.concurrent);
  str(w, "maxConcurrentEng");
  wrapped_long(w, e.max_concurrent);
  str(w, "agentGroupID");
  wrapped_long(w, e.group_id);
  if (v.extra_fields) {
    str(w, "userProfileIDs");
    w.StartObject();
    str(w, "array");
    w.StartArray();
    w.Int64(2438730312 + e.agent_id);
    w.Int64(2438730212);
    w.EndArray();
    w.EndObject();
    str(w, "futureField");
    w.StartObject();
    str(w, "string");
    str(w, "ignore me");
    w.EndObject();
  }
  w.EndObject();
}

template <class W>
void write_document(W& w, const agent_session& s, bool wrap, bool table_casing, const variants& v) {
  w.StartObject();
  str(w, "dataType");
  w.StartObject();
  str(w, "com.liveperson.dataaccess.DataTypeEnum");
  str(w, "AgentActivity");
  w.EndObject();
  str(w, "metaData");
  if (wrap) {
    w.StartObject();
    str(w, "com.liveperson.dataaccess.MetaData");
  }
  w.StartObject();
  str(w, "accountId");
  wrapped_string(w, s.account);
  str(w, "schemaVersion");
  str(w, "1.0.0.4");
  str(w, "startTime");
  wrapped_long(w, s.start_ms);
  str(w, "endTime");
  if (s.end_time_null) {
    w.Null();
  } else {
    wrapped_long(w, s.end_ms);
  }
  w.EndObject();
  if (wrap) w.EndObject();
  str(w, "recordCollection");
  if (wrap) {
    w.StartObject();
    str(w, "array");
  }
  w.StartArray();
  w.StartObject();
  str(w, "body");
  w.StartObject();
  str(w, "com.liveperson.dataaccess.AgentActivityData");
  w.StartObject();
  str(w, "header");
  w.StartObject();
  str(w, "com.liveperson.dataaccess.AgentHeader");
  w.StartObject();
  str(w, "agentSessionId");
  wrapped_string(w, s.session_id);
  w.EndObject();
  w.EndObject();
  str(w, "agentSessionsData");
  w.StartObject();
  str(w, "array");
  w.StartArray();
  for (const auto& e : s.events) write_event(w, e, table_casing, v);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndArray();
  if (wrap) w.EndObject();
  w.EndObject();
}

bool table_casing_for(const variants& v, std::size_t index) {
  switch (v.casing) {
    case name_casing::example:
      return false;
    case name_casing::table:
      return true;
    case name_casing::alternate:
      return index % 2 == 1;
  }
  return false;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string render_documents(const std::vector<agent_session>& sessions, const variants& v) {
  std::string out;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    rapidjson::StringBuffer sb;
    if (v.docs_framing) {
      rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
      w.SetIndent(' ', 3);
      write_document(w, sessions[i], false, table_casing_for(v, i), v);
      const std::string doc(sb.GetString(), sb.GetSize());
      out += doc;
      out += '\n';
      out += doc;
      out += '\n';
    } else {
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      write_document(w, sessions[i], true, table_casing_for(v, i), v);
      out.append(sb.GetString(), sb.GetSize());
      out += '\n';
    }
  }
  return out;
}

std::string gzip_member(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip_member: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip_member: deflate did not finish");
  out.resize(produced);
  return out;
}

std::string render_file(const std::vector<agent_session>& sessions, const variants& v) {
  const std::string text = render_documents(sessions, v);
  if (v.plain_body) return text;
  std::string out;
  if (v.multi_member) {
    // Split at line boundaries into up to three members; always at least two (an empty text
    // gives a member with nothing in it, which is valid gzip).
    std::vector<std::size_t> cuts{0};
    for (std::size_t k = 1; k < 3; ++k) {
      const auto nl = text.find('\n', text.size() * k / 3);
      const std::size_t pos = nl == std::string::npos ? text.size() : nl + 1;
      if (pos > cuts.back() && pos < text.size()) cuts.push_back(pos);
    }
    if (cuts.size() == 1) cuts.push_back(text.size());
    cuts.push_back(text.size());
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
      out += gzip_member(std::string_view(text).substr(cuts[i], cuts[i + 1] - cuts[i]));
  } else {
    out = gzip_member(text);
  }
  out.append(static_cast<std::size_t>(std::max(0, v.zero_padding)), '\0');
  return out;
}

std::string_view entry_fault_name(entry_fault f) noexcept {
  switch (f) {
    case entry_fault::none:
      return "none";
    case entry_fault::no_href:
      return "no-href";
    case entry_fault::bad_name:
      return "bad-name";
    case entry_fault::scope_mismatch:
      return "scope-mismatch";
    case entry_fault::not_object:
      return "not-object";
  }
  return "none";
}

std::optional<entry_fault> parse_entry_fault(std::string_view s) noexcept {
  for (const auto f : {entry_fault::none, entry_fault::no_href, entry_fault::bad_name,
                       entry_fault::scope_mismatch, entry_fault::not_object})
    if (entry_fault_name(f) == s) return f;
  return std::nullopt;
}

std::string render_listing(const std::string& account, const std::string& self_href,
                           const std::vector<listed_file>& files, const variants& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  str(w, "dataAccessFiles");
  w.StartObject();
  str(w, "@id");
  str(w, account);
  str(w, "link");
  w.StartObject();
  str(w, "@href");
  str(w, self_href);
  str(w, "@rel");
  str(w, "self");
  w.EndObject();
  const bool as_object = v.single_file_as_object && files.size() == 1;
  if (!(files.empty() && v.empty == empty_listing::missing_file_key)) {
    str(w, "file");
    if (!as_object) w.StartArray();
    for (const auto& f : files) {
      const std::string name = f.info.name();
      if (f.fault == entry_fault::not_object) {
        str(w, name);
        continue;
      }
      w.StartObject();
      str(w, "@name");
      str(w, f.fault == entry_fault::bad_name ? name.substr(0, name.rfind('-')) : name);
      str(w, "@scopeStartDate");
      str(w, format_new_york(f.info.scope_start_ms -
                             (f.fault == entry_fault::scope_mismatch ? 3'600'000 : 0)));
      str(w, "@scopeEndDate");
      str(w, format_new_york(f.info.scope_end_ms));
      if (f.fault != entry_fault::no_href) {
        str(w, "@href");
        str(w, f.href);
      }
      w.EndObject();
    }
    if (!as_object) w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string render_base_resource(const std::string& account, const std::string& le_href) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  str(w, "le");
  w.StartObject();
  str(w, "@accountId");
  str(w, account);
  str(w, "link");
  w.StartArray();
  auto link = [&](const std::string& href, std::string_view rel) {
    w.StartObject();
    str(w, "@href");
    str(w, href);
    str(w, "@rel");
    str(w, rel);
    w.EndObject();
  };
  link(le_href, "self");
  for (const char* rel : {"agentActivity", "webSession", "engagement", "survey", "schema"})
    link(le_href + "/" + rel, rel);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string render_error_xml(std::string_view message, int internal_code, std::int64_t now_ms) {
  return "<error><time>" + format_new_york_ms(now_ms) + "</time><message>" + xml_escape(message) +
         "</message><internalCode>" + std::to_string(internal_code) + "</internalCode></error>";
}

std::string agent_activity_schema() {
  return R"({"type":"record","name":"AgentActivity","namespace":"com.liveperson.dataaccess","fields":[)"
         R"({"name":"dataType","type":{"type":"enum","name":"DataTypeEnum","symbols":["AgentActivity","WebSession","Engagement","Survey"]}},)"
         R"({"name":"metaData","type":["null",{"type":"record","name":"MetaData","fields":[)"
         R"({"name":"accountId","type":["null","string"]},{"name":"schemaVersion","type":"string"},)"
         R"({"name":"startTime","type":["null","long"]},{"name":"endTime","type":["null","long"]}]}]},)"
         R"({"name":"recordCollection","type":["null",{"type":"array","items":{"type":"record","name":"Record","fields":[)"
         R"({"name":"body","type":[{"type":"record","name":"AgentActivityData","fields":[)"
         R"({"name":"header","type":[{"type":"record","name":"AgentHeader","fields":[{"name":"agentSessionId","type":["null","string"]}]}]},)"
         R"({"name":"agentSessionsData","type":["null",{"type":"array","items":{"type":"record","name":"AgentSession","fields":[)"
         R"({"name":"agentID","type":["null","long"]},{"name":"type","type":["null","long"]},)"
         R"({"name":"state","type":["null","long"]},{"name":"timestamp","type":["null","long"]},)"
         R"({"name":"prevState","type":["null","long"]},{"name":"agentEmployeeId","type":["null","string"]},)"
         R"({"name":"agentUsername","type":["null","string"]},{"name":"agentNickname","type":["null","string"]},)"
         R"({"name":"agentLoginname","type":["null","string"]},{"name":"prevConcurrentEng","type":["null","long"]},)"
         R"({"name":"concurrentEng","type":["null","long"]},{"name":"maxConcurrentEng","type":["null","long"]},)"
         R"({"name":"agentGroupID","type":["null","long"]}]}}]}]}]}]}}]}]})";
}

void collect_expected(const file_info& file, const std::vector<agent_session>& sessions,
                      std::vector<expected_event>& out) {
  const std::string name = file.name();
  for (const auto& s : sessions)
    for (const auto& e : s.events) out.push_back({s.account, s.session_id, e, name});
}

void sort_unique(std::vector<expected_event>& events) {
  std::stable_sort(
      events.begin(), events.end(),
      [](const expected_event& a, const expected_event& b) { return a.key() < b.key(); });
  events.erase(std::unique(events.begin(), events.end(),
                           [](const expected_event& a, const expected_event& b) {
                             return a.key() == b.key();
                           }),
               events.end());
}

std::string render_expected_ndjson(const std::vector<expected_event>& events) {
  std::string out;
  for (const auto& x : events) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    const auto& e = x.event;
    w.StartObject();
    str(w, "account");
    str(w, x.account);
    str(w, "agentSessionId");
    str(w, x.session_id);
    str(w, "agentID");
    w.Int64(e.agent_id);
    str(w, "timestamp");
    w.Int64(e.timestamp);
    str(w, "type");
    w.Int(e.type);
    str(w, "state");
    w.Int(e.state);
    str(w, "prevState");
    w.Int(e.prev_state);
    str(w, "prevConcurrentEng");
    w.Int(e.prev_concurrent);
    str(w, "concurrentEng");
    w.Int(e.concurrent);
    str(w, "maxConcurrentEng");
    w.Int(e.max_concurrent);
    str(w, "agentGroupID");
    w.Int64(e.group_id);
    str(w, "agentEmployeeId");
    str(w, e.employee_id);
    str(w, "agentUsername");
    str(w, e.username);
    str(w, "agentNickname");
    str(w, e.nickname);
    str(w, "agentLoginname");
    str(w, e.loginname);
    str(w, "file");
    str(w, x.file);
    w.EndObject();
    out.append(sb.GetString(), sb.GetSize());
    out.push_back('\n');
  }
  return out;
}

std::string render_expected_csv(const std::vector<expected_event>& events) {
  std::string out =
      "account,agentSessionId,agentID,timestamp,type,state,prevState,prevConcurrentEng,"
      "concurrentEng,maxConcurrentEng,agentGroupID,agentEmployeeId,agentUsername,agentNickname,"
      "agentLoginname,file\r\n";
  for (const auto& x : events) {
    const auto& e = x.event;
    csv_field(out, x.account);
    out.push_back(',');
    csv_field(out, x.session_id);
    for (const std::int64_t n :
         {e.agent_id, e.timestamp, std::int64_t{e.type}, std::int64_t{e.state},
          std::int64_t{e.prev_state}, std::int64_t{e.prev_concurrent}, std::int64_t{e.concurrent},
          std::int64_t{e.max_concurrent}, e.group_id}) {
      out.push_back(',');
      out += std::to_string(n);
    }
    for (const std::string* s : {&e.employee_id, &e.username, &e.nickname, &e.loginname, &x.file}) {
      out.push_back(',');
      csv_field(out, *s);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace lpda::emulator

#include "lpda/emulator/server.hpp"
#include "lpda/emulator/time_format.hpp"

#include "test_client.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace emu = lpda::emulator;
namespace t = lpda::emulator::test;

namespace {

constexpr std::int64_t mar8 = 1772928000000;  // 2026-03-08T00:00:00Z
const std::string account = "12345678";

emu::server_options options() {
  emu::server_options o;
  o.data.seed = 11;
  o.data.accounts = {account, "555"};
  o.data.agents = 5;
  o.data.from_ms = mar8;
  o.data.hours = 10;
  o.now_ms = mar8 + 24 * emu::hour_ms;
  return o;
}

struct running {
  explicit running(emu::server_options o) : srv(std::move(o)) {
    srv.start();
    url = srv.base_url();
    srv.run_in_background();
  }
  std::string listing(std::int64_t start, std::int64_t end,
                      const std::string& acct = account) const {
    return url + "/data_access_le/account/" + acct +
           "/le/agentActivity?startTime=" + std::to_string(start) +
           "&endTime=" + std::to_string(end);
  }
  std::string href(const emu::file_info& f) const {
    return url + "/data_access_le/account/" + f.account + "/le/agentActivity/" + f.name() + ".gz";
  }
  emu::server srv;
  std::string url;
};

struct listed {
  std::string name, href, scope_start, scope_end;
};

std::vector<listed> parse_listing(const std::string& body, bool* was_object = nullptr,
                                  bool* had_file_key = nullptr) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  const auto& daf = d["dataAccessFiles"];
  CHECK(daf["@id"].IsString());
  CHECK(std::string(daf["link"]["@rel"].GetString()) == "self");
  std::vector<listed> out;
  if (had_file_key) *had_file_key = daf.HasMember("file");
  if (!daf.HasMember("file")) return out;
  const auto& file = daf["file"];
  if (was_object) *was_object = file.IsObject();
  auto one = [&](const rapidjson::Value& f) {
    out.push_back({f["@name"].GetString(), f["@href"].GetString(), f["@scopeStartDate"].GetString(),
                   f["@scopeEndDate"].GetString()});
  };
  if (file.IsObject()) {
    one(file);
  } else {
    for (const auto& f : file.GetArray()) one(f);
  }
  return out;
}

std::set<std::string> names_created_in(const std::vector<emu::file_info>& files, std::int64_t s,
                                       std::int64_t e) {
  std::set<std::string> out;
  for (const auto& f : files)
    if (f.created_ms >= s && f.created_ms < e) out.insert(f.name());
  return out;
}

const std::regex error_xml(
    R"(<error><time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[45]:00</time><message>([^<]*)</message><internalCode>(\d+)</internalCode></error>)");

std::string xml_message(const std::string& body) {
  std::smatch m;
  if (!std::regex_match(body, m, error_xml)) return "<not LivePerson XML: " + body + ">";
  return m[1];
}

// Starts lpda-emulator with `args` (args[0] the binary), its stdout on a pipe; returns its pid
// and the URL it prints first ("" if it printed none).
std::pair<pid_t, std::string> spawn_emulator(std::vector<std::string> args) {
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  std::string line;
  char ch = 0;
  while (read(pipefd[0], &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  close(pipefd[0]);
  return {pid, line};
}

}  // namespace

TEST_SUITE("integration_emulator") {
  TEST_CASE(
      "OAuth 1.0a: unsigned and wrong secret get 401 with LivePerson's XML and right gets 200") {
    running r(options());
    const std::string u = r.listing(0, mar8 + 48 * emu::hour_ms);
    const auto unsigned_ = t::request("GET", u);
    CHECK(unsigned_.status == 401);
    CHECK(unsigned_.header("content-type") == "application/xml");
    std::smatch m;
    REQUIRE(std::regex_match(unsigned_.body, m, error_xml));
    CHECK(m[1] == "Unauthorized request");
    CHECK(m[2] == "10");
    const auto wrong = t::signed_get(u, "not-the-secret");
    CHECK(wrong.status == 401);
    CHECK(xml_message(wrong.body) == "Unauthorized request");
    const auto right = t::signed_get(u);
    CHECK(right.status == 200);
    CHECK(parse_listing(right.body).size() == r.srv.files(account).size());
    // A query parameter changed after signing breaks the signature.
    const std::string h = t::oauth_header("GET", u, "emulator-app-key", "emulator-app-secret",
                                          "emulator-access-token", "emulator-access-token-secret");
    CHECK(t::request("GET", u + "&v=1.0", {{"Authorization", h}}).status == 401);
    // A JSON body on the GET (as TAP sends) is not signed and does not matter.
    CHECK(t::request("GET", u, {{"Authorization", h}, {"Content-Type", "application/json"}}, "{}")
              .status == 200);
    // A form body is signed: the same header no longer matches.
    CHECK(t::request("GET", u,
                     {{"Authorization", h}, {"Content-Type", "application/x-www-form-urlencoded"}},
                     "a=1")
              .status == 401);
    // Unknown query parameters are fine when signed.
    CHECK(t::signed_get(u + "&v=1.0").status == 200);
    CHECK(r.srv.counts().unauthorized == 4);
  }

  TEST_CASE("OAuth 2.0 client credentials: token endpoint and bearer tokens") {
    running r(options());
    const std::string u = r.listing(0, mar8 + 48 * emu::hour_ms);
    // Basic auth: base64("emulator-client:emulator-client-secret").
    const auto tok =
        t::request("POST", r.url + "/oauth2/token",
                   {{"Authorization", "Basic ZW11bGF0b3ItY2xpZW50OmVtdWxhdG9yLWNsaWVudC1zZWNyZXQ="},
                    {"Content-Type", "application/x-www-form-urlencoded"}},
                   "grant_type=client_credentials");
    REQUIRE(tok.status == 200);
    rapidjson::Document d;
    d.Parse(tok.body.c_str());
    REQUIRE(d.IsObject());
    CHECK(std::string(d["token_type"].GetString()) == "Bearer");
    CHECK(d["expires_in"].GetInt() == 3600);
    const std::string bearer = d["access_token"].GetString();
    CHECK(t::request("GET", u, {{"Authorization", "Bearer " + bearer}}).status == 200);
    CHECK(t::request("GET", u, {{"Authorization", "Bearer x" + bearer}}).status == 401);
    const auto form = t::request(
        "POST", r.url + "/oauth2/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
        "grant_type=client_credentials&client_id=emulator-client&client_secret=nope");
    CHECK(form.status == 401);
    const auto grant = t::request(
        "POST", r.url + "/oauth2/token", {},
        "grant_type=password&client_id=emulator-client&client_secret=emulator-client-secret");
    CHECK(grant.status == 400);
  }

  TEST_CASE("LivePerson's flow: Domain API, sentinel token in a form body, expiry and revocation") {
    running r(options());
    const std::string u = r.listing(0, mar8 + 48 * emu::hour_ms);
    const std::string host = r.url.substr(r.url.find("://") + 3);
    const auto csds = t::request(
        "GET", r.url + "/api/account/" + account + "/service/sentinel/baseURI.json?version=1.0", {},
        "");
    REQUIRE(csds.status == 200);
    CHECK(csds.body ==
          R"({"service":"sentinel","account":")" + account + R"(","baseURI":")" + host + "\"}");
    CHECK(t::request("GET", r.url + "/api/account/999/service/sentinel/baseURI.json", {}, "")
              .status == 401);
    CHECK(t::request("GET", r.url + "/api/account/" + account + "/service/agentVep/baseURI.json",
                     {}, "")
              .status == 404);

    const std::string token_url =
        r.url + "/sentinel/api/v2/account/" + account + "/app/token?v=2.0";
    const std::vector<std::pair<std::string, std::string>> form{
        {"Content-Type", "application/x-www-form-urlencoded"}};
    const std::string good =
        "client_id=emulator-client&client_secret=emulator-client-secret&grant_type=client_"
        "credentials";
    auto tok = t::request("POST", token_url, form, good);
    REQUIRE(tok.status == 200);
    rapidjson::Document d;
    d.Parse(tok.body.c_str());
    REQUIRE(d.IsObject());
    CHECK(std::string(d["token_type"].GetString()) == "Bearer");
    CHECK(std::string(d["expires_in"].GetString()) == "3600");  // a string, as configured
    const std::string bearer = "Bearer " + std::string(d["access_token"].GetString());
    CHECK(t::request("GET", u, {{"Authorization", bearer}}).status == 200);
    // Credentials only in the body: HTTP Basic is not read, a wrong secret is refused.
    CHECK(
        t::request("POST", token_url,
                   {{"Authorization", "Basic ZW11bGF0b3ItY2xpZW50OmVtdWxhdG9yLWNsaWVudC1zZWNyZXQ="},
                    {"Content-Type", "application/x-www-form-urlencoded"}},
                   "grant_type=client_credentials")
            .status == 401);
    const auto wrong =
        t::request("POST", token_url, form,
                   "client_id=emulator-client&client_secret=nope&grant_type=client_credentials");
    CHECK(wrong.status == 401);
    CHECK(wrong.body.find("invalid_client") != std::string::npos);
    CHECK(t::request("POST", token_url, {}, good).status == 400);  // no form content type

    // Data Access auth modes.
    r.srv.set_data_access_auth(emu::data_access_auth::oauth1);
    CHECK(t::request("GET", u, {{"Authorization", bearer}}).status == 401);
    CHECK(t::signed_get(u).status == 200);
    r.srv.set_data_access_auth(emu::data_access_auth::bearer);
    CHECK(t::request("GET", u, {{"Authorization", bearer}}).status == 200);
    CHECK(t::signed_get(u).status == 401);
    r.srv.set_data_access_auth(emu::data_access_auth::both);

    // Revocation, and a token that outlives its expires_in.
    CHECK(r.srv.revoke_tokens() == 1);
    CHECK(t::request("GET", u, {{"Authorization", bearer}}).status == 401);
    r.srv.set_oauth2_ttl_s(1);
    tok = t::request("POST", token_url, form, good);
    d.Parse(tok.body.c_str());
    CHECK(std::string(d["expires_in"].GetString()) == "1");
    const std::string short_lived = "Bearer " + std::string(d["access_token"].GetString());
    CHECK(t::request("GET", u, {{"Authorization", short_lived}}).status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK(t::request("GET", u, {{"Authorization", short_lived}}).status == 401);
    const auto c = r.srv.counts();
    CHECK(c.csds == 3);
    CHECK(c.token == 5);
  }

  TEST_CASE("listing windows return exactly the files created inside them half-open") {
    running r(options());
    const auto files = r.srv.files(account);
    REQUIRE(files.size() >= 10);
    std::vector<std::int64_t> bounds{0};
    for (std::size_t i = 2; i < files.size(); i += 3) bounds.push_back(files[i].created_ms);
    bounds.push_back(mar8 + 48 * emu::hour_ms);
    std::set<std::string> seen;
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
      const auto res = t::signed_get(r.listing(bounds[i], bounds[i + 1]));
      const auto want = names_created_in(files, bounds[i], bounds[i + 1]);
      std::set<std::string> got;
      if (want.empty()) {
        CHECK(res.status == 404);
        continue;
      }
      REQUIRE(res.status == 200);
      for (const auto& l : parse_listing(res.body)) {
        got.insert(l.name);
        CHECK(seen.insert(l.name).second);  // adjacent windows never repeat a file
        CHECK(l.href ==
              r.url + "/data_access_le/account/" + account + "/le/agentActivity/" + l.name + ".gz");
        // The scope dates are the epochs of the name, in New York time.
        const auto dot1 = l.name.find('.');
        const auto dot2 = l.name.find('.', dot1 + 1);
        const auto dot3 = l.name.find('.', dot2 + 1);
        CHECK(t::parse_offset_time(l.scope_start) ==
              std::stoll(l.name.substr(dot1 + 1, dot2 - dot1 - 1)));
        CHECK(t::parse_offset_time(l.scope_end) ==
              std::stoll(l.name.substr(dot2 + 1, dot3 - dot2 - 1)));
      }
      CHECK(got == want);
    }
    CHECK(seen.size() == files.size());
    // A window ending exactly at a file's creation excludes it; starting there includes it.
    const auto& f = files[5];
    const auto before = t::signed_get(r.listing(f.created_ms - 1, f.created_ms));
    if (before.status == 200) {
      const auto l = parse_listing(before.body);
      CHECK(std::none_of(l.begin(), l.end(), [&](const listed& x) { return x.name == f.name(); }));
    } else {
      CHECK(before.status == 404);
    }
    const auto at = parse_listing(t::signed_get(r.listing(f.created_ms, f.created_ms + 1)).body);
    REQUIRE(at.size() == 1);
    CHECK(at[0].name == f.name());
  }

  TEST_CASE("'now' hides files not yet created and scope mode filters on the scope") {
    auto o = options();
    running r(o);
    const auto all = r.srv.files(account, true);
    r.srv.set_now_ms(all[6].created_ms);
    const auto visible = parse_listing(t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms)).body);
    std::set<std::string> want;
    for (const auto& f : all)
      if (f.created_ms <= all[6].created_ms) want.insert(f.name());
    std::set<std::string> got;
    for (const auto& l : visible) got.insert(l.name);
    CHECK(got == want);
    const auto future = t::signed_get(r.href(all.back()));
    CHECK(future.status == 404);
    r.srv.set_now_ms(mar8 + 24 * emu::hour_ms);
    auto v = r.srv.current_variants();
    v.filter_on_scope = true;
    r.srv.set_variants(v);
    const auto hour2 = parse_listing(
        t::signed_get(r.listing(mar8 + 2 * emu::hour_ms, mar8 + 3 * emu::hour_ms)).body);
    std::set<std::string> in_hour;
    for (const auto& f : all)
      if (f.scope_start_ms == mar8 + 2 * emu::hour_ms) in_hour.insert(f.name());
    got.clear();
    for (const auto& l : hour2) got.insert(l.name);
    CHECK(got == in_hour);
  }

  TEST_CASE("every answer carries 'now' as its Date header unless no-date is set") {
    auto o = options();
    running r(o);
    // 1773059696000 ms = Mon, 09 Mar 2026 12:34:56 GMT (Python's calendar.timegm).
    r.srv.set_now_ms(1773059696000 + 789);
    const auto listing = t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms));
    CHECK(listing.header("date") == "Mon, 09 Mar 2026 12:34:56 GMT");
    const auto unauthorized = t::request("GET", r.listing(0, 1));
    CHECK(unauthorized.status == 401);
    CHECK(unauthorized.header("date") == "Mon, 09 Mar 2026 12:34:56 GMT");
    auto v = r.srv.current_variants();
    v.no_date = true;
    r.srv.set_variants(v);
    const auto without = t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms));
    CHECK(without.status == listing.status);
    CHECK(without.headers.count("date") == 0);
  }

  TEST_CASE("scope dates across the DST switches in a listing") {
    auto o = options();
    o.data.from_ms = mar8 + 5 * emu::hour_ms;
    o.data.hours = 3;
    o.now_ms = mar8 + 20 * emu::hour_ms;
    running r(o);
    std::map<std::string, std::string> starts;
    for (const auto& l : parse_listing(t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms)).body))
      starts[l.name.substr(6, 13)] = l.scope_start + " " + l.scope_end;
    CHECK(starts["1772946000000"] == "2026-03-08T00:00:00-05:00 2026-03-08T01:00:00-05:00");
    CHECK(starts["1772949600000"] == "2026-03-08T01:00:00-05:00 2026-03-08T03:00:00-04:00");
    CHECK(starts["1772953200000"] == "2026-03-08T03:00:00-04:00 2026-03-08T04:00:00-04:00");

    const std::int64_t nov1 = 1793491200000;  // 2026-11-01T00:00:00Z
    auto o2 = options();
    o2.data.from_ms = nov1 + 4 * emu::hour_ms;
    o2.data.hours = 3;
    o2.now_ms = nov1 + 20 * emu::hour_ms;
    running r2(o2);
    starts.clear();
    for (const auto& l : parse_listing(t::signed_get(r2.listing(0, nov1 + 48 * emu::hour_ms)).body))
      starts[l.name.substr(6, 13)] = l.scope_start + " " + l.scope_end;
    CHECK(starts["1793505600000"] == "2026-11-01T00:00:00-04:00 2026-11-01T01:00:00-04:00");
    CHECK(starts["1793509200000"] == "2026-11-01T01:00:00-04:00 2026-11-01T01:00:00-05:00");
    CHECK(starts["1793512800000"] == "2026-11-01T01:00:00-05:00 2026-11-01T02:00:00-05:00");
  }

  TEST_CASE("empty listings: 404 XML empty array or no file key and one file as an object") {
    running r(options());
    const std::string none = r.listing(0, 1000);
    const auto e404 = t::signed_get(none);
    CHECK(e404.status == 404);
    CHECK(xml_message(e404.body) == "No Available Files");
    auto v = r.srv.current_variants();
    v.empty = emu::empty_listing::empty_array;
    r.srv.set_variants(v);
    const auto arr = t::signed_get(none);
    CHECK(arr.status == 200);
    CHECK(arr.body.find("\"file\":[]") != std::string::npos);
    v.empty = emu::empty_listing::missing_file_key;
    r.srv.set_variants(v);
    bool had_key = true;
    CHECK(parse_listing(t::signed_get(none).body, nullptr, &had_key).empty());
    CHECK_FALSE(had_key);
    const auto f = r.srv.files(account)[3];
    bool was_object = false;
    CHECK(parse_listing(t::signed_get(r.listing(f.created_ms, f.created_ms + 1)).body, &was_object)
              .size() == 1);
    CHECK_FALSE(was_object);
    v.single_file_as_object = true;
    r.srv.set_variants(v);
    const auto one =
        parse_listing(t::signed_get(r.listing(f.created_ms, f.created_ms + 1)).body, &was_object);
    CHECK(was_object);
    REQUIRE(one.size() == 1);
    CHECK(one[0].name == f.name());
  }

  TEST_CASE("download variants: bytes as stated") {
    running r(options());
    // A file with sessions in it, so every byte-level check below has something to look at.
    const std::string all_events = r.srv.expected("ndjson", "all");
    const auto fs = r.srv.files(account);
    const auto fit = std::find_if(fs.begin(), fs.end(), [&](const emu::file_info& x) {
      return all_events.find(x.name()) != std::string::npos;
    });
    REQUIRE(fit != fs.end());
    const auto f = *fit;
    const auto plain = t::signed_get(r.href(f));
    REQUIRE(plain.status == 200);
    CHECK(plain.header("content-type") == "application/octet-stream");
    CHECK(plain.header("content-encoding").empty());
    REQUIRE(plain.body.size() > 20);
    CHECK(static_cast<unsigned char>(plain.body[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(plain.body[1]) == 0x8b);
    int members = 0;
    const std::string text = t::gunzip_all(plain.body, &members);
    CHECK(members == 1);
    CHECK(text.front() == '{');
    CHECK(text.find("{\"com.liveperson.dataaccess.MetaData\":") != std::string::npos);
    CHECK(text.find("\"recordCollection\":{\"array\":[") != std::string::npos);
    CHECK(text.back() == '\n');
    // the same file without .gz in the URL
    const std::string no_gz = r.href(f).substr(0, r.href(f).size() - 3);
    CHECK(t::signed_get(no_gz).body == plain.body);

    auto v = r.srv.current_variants();
    v.href_without_gz = true;
    r.srv.set_variants(v);
    for (const auto& l : parse_listing(t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms)).body))
      CHECK(l.href.substr(l.href.size() - 3) != ".gz");

    v = emu::variants{};
    v.plain_body = true;
    r.srv.set_variants(v);
    CHECK(t::signed_get(r.href(f)).body == text);

    v = emu::variants{};
    v.multi_member = true;
    v.zero_padding = 512;
    r.srv.set_variants(v);
    const auto multi = t::signed_get(r.href(f));
    CHECK(multi.body.substr(multi.body.size() - 512) == std::string(512, '\0'));
    CHECK(t::gunzip_all(multi.body, &members) == text);
    CHECK(members >= 2);

    v = emu::variants{};
    v.content_encoding_gzip = true;
    r.srv.set_variants(v);
    const auto ce = t::signed_get(r.href(f));
    CHECK(ce.header("content-encoding") == "gzip");
    const std::string inner = t::gunzip_all(ce.body);
    CHECK(inner == plain.body);  // the transport layer wraps the unchanged gzip file

    v = emu::variants{};
    v.casing = emu::name_casing::table;
    r.srv.set_variants(v);
    const std::string table = t::gunzip_all(t::signed_get(r.href(f)).body);
    CHECK(table.find("\"agentUserName\"") != std::string::npos);
    CHECK(table.find("\"agentNickName\"") != std::string::npos);
    CHECK(table.find("\"agentLoginName\"") != std::string::npos);
    CHECK(table.find("\"agentUsername\"") == std::string::npos);

    v = emu::variants{};
    v.employee_id_as_long = true;
    v.extra_fields = true;
    r.srv.set_variants(v);
    const std::string longs = t::gunzip_all(t::signed_get(r.href(f)).body);
    CHECK((longs.find("\"agentEmployeeId\":{\"long\":7") != std::string::npos ||
           longs.find("\"agentEmployeeId\":null") != std::string::npos));
    CHECK(longs.find("\"agentEmployeeId\":{\"string\"") == std::string::npos);
    CHECK(longs.find("\"userProfileIDs\":{\"array\":[") != std::string::npos);
    CHECK(t::decode_documents(longs) == t::decode_documents(text));

    v = emu::variants{};
    v.docs_framing = true;
    r.srv.set_variants(v);
    const std::string docs = t::gunzip_all(t::signed_get(r.href(f)).body);
    CHECK(docs.rfind("{\n   \"dataType\": {", 0) == 0);
    CHECK(docs.find("MetaData") == std::string::npos);  // metaData unwrapped
    CHECK(docs.find("\"recordCollection\": [") != std::string::npos);
    const auto doc_rows = t::decode_documents(docs);
    CHECK(doc_rows.size() == 2 * t::decode_documents(text).size());
  }
}

TEST_SUITE("integration_emulator") {
  TEST_CASE("late files and the 30-day retention") {
    auto o = options();
    o.data.late_percent = 100;
    running r(o);
    const auto files = r.srv.files(account, true);
    for (const auto& f : files) CHECK(f.created_ms >= f.scope_end_ms + 2 * emu::hour_ms);
    const auto& f = files[1];
    r.srv.set_now_ms(f.created_ms + 30 * emu::day_ms - 1);
    CHECK(t::signed_get(r.href(f)).status == 200);
    r.srv.set_now_ms(f.created_ms + 30 * emu::day_ms);
    CHECK(t::signed_get(r.href(f)).status == 404);
    const auto l = parse_listing(t::signed_get(r.listing(0, f.created_ms + 31 * emu::day_ms)).body);
    CHECK(std::none_of(l.begin(), l.end(), [&](const listed& x) { return x.name == f.name(); }));
    auto v = r.srv.current_variants();
    v.retention_days = 0;
    r.srv.set_variants(v);
    CHECK(t::signed_get(r.href(f)).status == 200);
  }

  TEST_CASE("faults: 429 with Retry-After 500 first N 503 every Nth") {
    running r(options());
    const std::string u = r.listing(0, mar8 + 48 * emu::hour_ms);
    emu::fault_spec f;
    f.kind = emu::fault_kind::too_many_requests;
    f.first_n = 1;
    f.retry_after_s = 7;
    r.srv.set_fault(f);
    const auto a = t::signed_get(u);
    CHECK(a.status == 429);
    CHECK(a.header("retry-after") == "7");
    CHECK(t::signed_get(u).status == 200);
    f.retry_after_http_date = true;
    r.srv.set_fault(f);
    const auto b = t::signed_get(u);
    CHECK(b.status == 429);
    CHECK(std::regex_match(
        b.header("retry-after"),
        std::regex(
            R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)")));

    f = emu::fault_spec{};
    f.kind = emu::fault_kind::internal_error;
    f.first_n = 2;
    r.srv.set_fault(f);
    CHECK(t::signed_get(u).status == 500);
    const auto second = t::signed_get(u);
    CHECK(second.status == 500);
    CHECK(xml_message(second.body) == "Internal Server Error");
    CHECK(t::signed_get(u).status == 200);

    f = emu::fault_spec{};
    f.kind = emu::fault_kind::unavailable;
    f.every_nth = 3;
    r.srv.set_fault(f);
    std::vector<unsigned> st;
    for (int i = 0; i < 6; ++i) st.push_back(t::signed_get(u).status);
    CHECK(st == std::vector<unsigned>{200, 200, 503, 200, 200, 503});

    // A listing-only fault leaves downloads alone; unauthorized requests do not count.
    f = emu::fault_spec{};
    f.kind = emu::fault_kind::internal_error;
    f.target = emu::fault_target::listing;
    r.srv.set_fault(f);
    CHECK(t::signed_get(r.href(r.srv.files(account)[0])).status == 200);
    CHECK(t::signed_get(u).status == 500);
    CHECK(t::request("GET", u).status == 401);
  }

  TEST_CASE("faults: reset mid-body truncated gzip stall drip latency failing file") {
    running r(options());
    const std::string all_events = r.srv.expected("ndjson", "all");
    const auto fs = r.srv.files(account);
    const auto fit = std::find_if(fs.begin(), fs.end(), [&](const emu::file_info& x) {
      return all_events.find(x.name()) != std::string::npos;
    });
    REQUIRE(fit != fs.end());
    const auto file = *fit;
    const auto full = t::signed_get(r.href(file));
    REQUIRE(full.status == 200);

    emu::fault_spec f;
    f.kind = emu::fault_kind::reset;
    f.target = emu::fault_target::download;
    r.srv.set_fault(f);
    const auto reset = t::signed_get(r.href(file));
    CHECK_FALSE(reset.complete);
    CHECK(reset.error);
    CHECK(reset.body.size() == full.body.size() / 2);
    CHECK(reset.body == full.body.substr(0, full.body.size() / 2));

    f.kind = emu::fault_kind::truncated_gzip;
    r.srv.set_fault(f);
    const auto trunc = t::signed_get(r.href(file));
    CHECK(trunc.status == 200);
    CHECK(trunc.complete);
    CHECK(trunc.body == full.body.substr(0, full.body.size() / 2));
    CHECK_THROWS(t::gunzip_all(trunc.body));

    f.kind = emu::fault_kind::stall;
    f.stall_ms = 400;
    r.srv.set_fault(f);
    const auto stall = t::signed_get(r.href(file));
    CHECK_FALSE(stall.complete);
    CHECK(stall.seconds >= 0.35);
    CHECK(stall.body.size() == full.body.size() / 2);

    f.kind = emu::fault_kind::drip;
    f.drip_bytes = std::max<int>(1, static_cast<int>(full.body.size() / 8));
    f.drip_interval_ms = 40;
    r.srv.set_fault(f);
    const auto drip = t::signed_get(r.href(file));
    CHECK(drip.complete);
    CHECK(drip.body == full.body);
    CHECK(drip.seconds >= 0.2);
    {
      // Reset, stalled and truncated downloads are not "served"; a dripped one is.
      std::vector<emu::file_info> with_events;
      for (const auto& x : fs)
        if (x.name() != file.name() && all_events.find(x.name()) != std::string::npos)
          with_events.push_back(x);
      REQUIRE(with_events.size() >= 2);
      CHECK(t::signed_get(r.href(with_events[0])).complete);  // drip is still on
      emu::fault_spec rf;
      rf.kind = emu::fault_kind::reset;
      r.srv.set_fault(rf);
      CHECK_FALSE(t::signed_get(r.href(with_events[1])).complete);
      const std::string served = r.srv.expected("ndjson", "served");
      CHECK(served.find(with_events[0].name()) != std::string::npos);
      CHECK(served.find(with_events[1].name()) == std::string::npos);
    }

    r.srv.set_fault(emu::fault_spec{});
    r.srv.set_latency_ms(300);
    const auto slow = t::signed_get(r.href(file));
    CHECK(slow.body == full.body);
    CHECK(slow.seconds >= 0.28);
    r.srv.set_latency_ms(0);

    r.srv.set_failing_file(file.name());
    for (int i = 0; i < 3; ++i) CHECK(t::signed_get(r.href(file)).status == 500);
    CHECK(t::signed_get(r.href(fs.back())).status == 200);
    r.srv.set_failing_file({});
    CHECK(t::signed_get(r.href(file)).body == full.body);
    const auto c = r.srv.counts();
    CHECK(c.downloads_by_file.at(file.name()) == 10);
    CHECK(c.faults == 9);
  }

  TEST_CASE("the expected set equals an independent decode of every served file") {
    for (int variant = 0; variant < 3; ++variant) {
      CAPTURE(variant);
      auto o = options();
      if (variant == 1) {
        o.variant.multi_member = true;
        o.variant.docs_framing = true;
        o.variant.casing = emu::name_casing::alternate;
        o.variant.single_file_as_object = true;
      }
      if (variant == 2) {
        o.variant.employee_id_as_long = true;
        o.variant.extra_fields = true;
        o.variant.content_encoding_gzip = true;
        o.variant.zero_padding = 64;
        o.data.late_percent = 30;
      }
      running r(o);
      std::vector<t::row> decoded;
      for (const auto& acct : {account, std::string("555")}) {
        const auto l = t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms, acct));
        REQUIRE(l.status == 200);
        for (const auto& f : parse_listing(l.body)) {
          const auto d = t::signed_get(f.href);
          REQUIRE(d.status == 200);
          std::string bytes = d.body;
          if (d.header("content-encoding") == "gzip") bytes = t::gunzip_all(bytes);
          const auto rows = t::decode_documents(t::gunzip_all(bytes));
          decoded.insert(decoded.end(), rows.begin(), rows.end());
        }
      }
      std::sort(decoded.begin(), decoded.end());
      decoded.erase(
          std::unique(decoded.begin(), decoded.end(),
                      [](const t::row& a, const t::row& b) { return a.key() == b.key(); }),
          decoded.end());
      const auto expected = t::parse_expected_ndjson(r.srv.expected("ndjson", "available"));
      CHECK(decoded.size() > 100);
      CHECK(expected.size() == decoded.size());
      CHECK(expected == decoded);
      CHECK(t::parse_expected_ndjson(r.srv.expected("ndjson", "served")) == decoded);
      // CSV carries the same rows: one line each plus the header.
      const std::string csv = r.srv.expected("csv", "available");
      CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) ==
            decoded.size() + 1);
    }
  }

  TEST_CASE(
      "pregenerated files are served byte for byte as generated ones and a variant change "
      "drops them") {
    running plain(options());
    running ahead(options());
    const auto p = ahead.srv.pregenerate();
    const auto files = ahead.srv.files(account);
    const auto other = ahead.srv.files("555");
    CHECK(p.files == static_cast<std::int64_t>(files.size() + other.size()));
    std::int64_t bytes = 0;
    for (const auto& f : files) {
      const auto a = t::signed_get(ahead.href(f));
      const auto b = t::signed_get(plain.href(f));
      REQUIRE(a.status == 200);
      CHECK(a.body == b.body);
      bytes += static_cast<std::int64_t>(a.body.size());
    }
    for (const auto& f : other)
      bytes += static_cast<std::int64_t>(t::signed_get(ahead.href(f)).body.size());
    CHECK(p.bytes == bytes);
    // Per-request framing still applies to a pregenerated body.
    auto v = ahead.srv.current_variants();
    v.content_encoding_gzip = true;
    ahead.srv.set_variants(v);
    plain.srv.set_variants(v);
    CHECK(ahead.srv.pregenerate().files == p.files);
    const auto gz = t::signed_get(ahead.href(files.front()));
    CHECK(gz.header("content-encoding") == "gzip");
    CHECK(gz.body == t::signed_get(plain.href(files.front())).body);
    // After a variant change the files are rendered with the new variant, not served stale.
    v.multi_member = true;
    ahead.srv.set_variants(v);
    plain.srv.set_variants(v);
    const auto multi = t::signed_get(ahead.href(files.front()));
    CHECK(multi.body == t::signed_get(plain.href(files.front())).body);
    CHECK(multi.body != gz.body);
    // The control endpoint does the same.
    const auto c = t::request("GET", ahead.url + "/_control/pregenerate");
    REQUIRE(c.status == 200);
    rapidjson::Document d;
    d.Parse(c.body.c_str());
    CHECK(d["files"].GetInt64() == p.files);
    CHECK(d["bytes"].GetInt64() > 0);
  }

  TEST_CASE("control endpoint over HTTP") {
    running r(options());
    const auto state = t::request("GET", r.url + "/_control/state");
    REQUIRE(state.status == 200);
    rapidjson::Document d;
    d.Parse(state.body.c_str());
    CHECK(d["now"].GetInt64() == mar8 + 24 * emu::hour_ms);
    CHECK(std::string(d["baseUrl"].GetString()) == r.url);
    CHECK(t::request("POST", r.url + "/_control/variant",
                     {{"Content-Type", "application/x-www-form-urlencoded"}},
                     "empty=array&casing=table&late-percent=100")
              .status == 200);
    CHECK(r.srv.current_variants().empty == emu::empty_listing::empty_array);
    CHECK(r.srv.current_variants().casing == emu::name_casing::table);
    for (const auto& f : r.srv.files(account, true)) CHECK(f.late);
    CHECK(t::request("GET", r.url + "/_control/variant?casing=shouting").status == 400);
    CHECK(t::request("GET", r.url + "/_control/fault?kind=503&first=1&target=listing").status ==
          200);
    const std::string u = r.listing(0, mar8 + 48 * emu::hour_ms);
    CHECK(t::signed_get(u).status == 503);
    CHECK(t::signed_get(u).status == 200);
    CHECK(t::request("GET", r.url + "/_control/now?set=2026-03-08T03:00:00Z").status == 200);
    CHECK(r.srv.now_ms() == mar8 + 3 * emu::hour_ms);
    CHECK(t::request("GET", r.url + "/_control/now?advance=3600000").status == 200);
    CHECK(r.srv.now_ms() == mar8 + 4 * emu::hour_ms);
    const auto added = t::request(
        "GET", r.url + "/_control/add-file?account=" + account +
                   "&scope=2026-03-08T01:00:00Z&created=2026-03-08T03:30:00Z&sessions=2");
    REQUIRE(added.status == 200);
    CHECK(added.body.find("Agent.1772931600000.1772935200000.part-00100-0") != std::string::npos);
    CHECK(t::request(
              "GET",
              r.url + "/_control/fail-file?name=Agent.1772931600000.1772935200000.part-00100-0.gz")
              .status == 200);
    const std::string extra = r.url + "/data_access_le/account/" + account +
                              "/le/agentActivity/Agent.1772931600000.1772935200000.part-00100-0.gz";
    CHECK(t::signed_get(extra).status == 500);
    CHECK(t::request("GET", r.url + "/_control/fail-file?name=").status == 200);
    CHECK(t::signed_get(extra).status == 200);
    CHECK(t::request("GET", r.url + "/_control/add-hours?n=5").status == 200);
    const auto counts = t::request("GET", r.url + "/_control/counts");
    d.Parse(counts.body.c_str());
    CHECK(d["listing"].GetInt64() == 2);
    CHECK(d["download"].GetInt64() == 2);
    CHECK(d["faults"].GetInt64() == 2);
    const auto exp = t::request("GET", r.url + "/_control/expected?format=csv&files=served");
    CHECK(exp.header("content-type").rfind("text/csv", 0) == 0);
    CHECK(exp.body.rfind("account,agentSessionId,agentID,timestamp,", 0) == 0);
    CHECK(t::request("GET", r.url + "/_control/nope").status == 404);
    // Other data types list nothing; the base resource and schema answer.
    CHECK(t::signed_get(r.url + "/data_access_le/account/" + account +
                        "/le/engagement?startTime=0&endTime=1")
              .status == 200);
    const auto base = t::signed_get(r.url + "/data_access_le/account/" + account + "/le");
    CHECK(base.status == 200);
    CHECK(base.body.find("\"@rel\":\"agentActivity\"") != std::string::npos);
    CHECK(t::signed_get(r.url + "/data_access_le/account/" + account + "/le/schema?schemaId=latest")
              .status == 200);
    CHECK(t::signed_get(r.url + "/data_access_le/account/" + account + "/le/schema").status == 400);
    CHECK(
        t::signed_get(r.url + "/data_access_le/account/" + account + "/le/agentActivity").status ==
        400);
    // Accept: application/gzip on a download and non-GET methods: LivePerson's internalCode 5.
    const auto file0 = r.srv.files(account).at(0);
    const std::string href0 =
        r.url + "/data_access_le/account/" + account + "/le/agentActivity/" + file0.name() + ".gz";
    const auto gz =
        t::request("GET", href0,
                   {{"Accept", "application/gzip"},
                    {"Authorization",
                     t::oauth_header("GET", href0, "emulator-app-key", "emulator-app-secret",
                                     "emulator-access-token", "emulator-access-token-secret")}});
    CHECK(gz.status == 400);
    CHECK(xml_message(gz.body) ==
          "This request is not supported, verify request headers and method");
    const auto del =
        t::request("DELETE", href0,
                   {{"Authorization",
                     t::oauth_header("DELETE", href0, "emulator-app-key", "emulator-app-secret",
                                     "emulator-access-token", "emulator-access-token-secret")}});
    CHECK(del.status == 400);
    // Unknown accounts are refused.
    CHECK(t::signed_get(r.url + "/data_access_le/account/999/le").status == 403);
  }

  TEST_CASE("HTTPS with a self-signed certificate and hrefs on a configured host") {
    lpda::test::temp_dir dir;
    auto o = options();
    o.tls_self_signed = true;
    o.tls_cert_out = (dir / "cert.pem").string();
    o.href_base = "https://va-a.da.liveperson.net";
    running r(o);
    CHECK(r.url.rfind("https://127.0.0.1:", 0) == 0);
    const auto res = t::signed_get(r.listing(0, mar8 + 48 * emu::hour_ms), "emulator-app-secret",
                                   o.tls_cert_out);
    REQUIRE(res.status == 200);
    const auto l = parse_listing(res.body);
    REQUIRE_FALSE(l.empty());
    CHECK(l[0].href.rfind(
              "https://va-a.da.liveperson.net/data_access_le/account/12345678/le/agentActivity/",
              0) == 0);
    const std::string local =
        r.url + l[0].href.substr(std::string("https://va-a.da.liveperson.net").size());
    const auto file = t::signed_get(local, "emulator-app-secret", o.tls_cert_out);
    CHECK(file.status == 200);
    CHECK(static_cast<unsigned char>(file.body[0]) == 0x1f);
    CHECK(t::signed_get(r.listing(0, 1), "wrong", o.tls_cert_out).status == 401);
  }

  TEST_CASE(
      "lpda-emulator: --help names every option and port 0 prints the URL and --expected-out") {
    const std::string bin = (lpda::test::bin_dir() / "lpda-emulator").string();
    const auto help = lpda::test::run_command(bin + " --help");
    CHECK(help.status == 0);
    for (const char* opt : {"--address",
                            "--port",
                            "--tls-cert",
                            "--tls-key",
                            "--tls-self-signed",
                            "--tls-cert-out",
                            "--href-base",
                            "--consumer-key",
                            "--consumer-secret",
                            "--token",
                            "--token-secret",
                            "--no-oauth2",
                            "--oauth2-client-id",
                            "--oauth2-client-secret",
                            "--oauth2-ttl",
                            "--data-access-auth",
                            "--csds-sentinel-host",
                            "--seed",
                            "--accounts",
                            "--agents",
                            "--from",
                            "--hours",
                            "--max-parts",
                            "--session-hours",
                            "--event-gap-s",
                            "--preset",
                            "--pregenerate",
                            "--now",
                            "--late-percent",
                            "--late-min-hours",
                            "--late-max-hours",
                            "--single-file-as-object",
                            "--empty",
                            "--href-without-gz",
                            "--plain-body",
                            "--multi-member",
                            "--zero-padding",
                            "--content-encoding-gzip",
                            "--docs-framing",
                            "--casing",
                            "--retention-days",
                            "--filter-on-scope",
                            "--fault",
                            "--fault-target",
                            "--fault-first",
                            "--fault-every",
                            "--retry-after",
                            "--retry-after-date",
                            "--stall-ms",
                            "--drip-bytes",
                            "--drip-ms",
                            "--latency-ms",
                            "--failing-file",
                            "--expected-out",
                            "--expected-format",
                            "--expected-files"})
      CHECK_MESSAGE(help.out.find(std::string(opt) + " ") != std::string::npos, opt);
    CHECK(lpda::test::run_command(bin + " --casing loud").status != 0);

    lpda::test::temp_dir dir;
    const std::string expected = (dir / "expected.ndjson").string();
    const auto [pid, line] = spawn_emulator(
        {bin, "--port", "0", "--from", "2026-03-08T00:00:00Z", "--hours", "4", "--now",
         "2026-03-09T00:00:00Z", "--expected-out", expected, "--expected-files", "served"});
    CHECK(std::regex_match(line, std::regex(R"(http://127\.0\.0\.1:\d+)")));
    const auto at_start = t::parse_expected_ndjson(lpda::test::read_file(expected));
    CHECK(at_start.size() > 10);
    const auto l = t::signed_get(
        line +
        "/data_access_le/account/12345678/le/agentActivity?startTime=0&endTime=1800000000000");
    CHECK(l.status == 200);
    const auto files = parse_listing(l.body);
    REQUIRE_FALSE(files.empty());
    const auto d = t::signed_get(files[0].href);
    REQUIRE(d.status == 200);
    auto rows = t::decode_documents(t::gunzip_all(d.body));
    std::sort(rows.begin(), rows.end());
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // At exit the file holds the served set: the one downloaded file.
    CHECK(t::parse_expected_ndjson(lpda::test::read_file(expected)) == rows);
  }

  TEST_CASE(
      "lpda-emulator: --preset large-account with --agents and --session-hours given "
      "explicitly and bad shapes are refused") {
    const std::string bin = (lpda::test::bin_dir() / "lpda-emulator").string();
    for (const char* bad : {"--preset huge", "--session-hours 9-5", "--session-hours 5",
                            "--session-hours 0-2", "--session-hours x-2", "--event-gap-s 30-10"}) {
      const auto r = lpda::test::run_command(bin + " --port 0 " + bad);
      CHECK_MESSAGE(r.status == 2, bad);
      CHECK_MESSAGE(
          r.err.find(std::string(bad).substr(0, std::string(bad).find(' '))) != std::string::npos,
          r.err);
    }
    // The expected set written at start describes the data: sessions (login to logout) per agent.
    struct shape {
      std::set<std::int64_t> agents;
      std::int64_t shortest = std::numeric_limits<std::int64_t>::max(), longest = 0;
      std::size_t rows = 0;
      std::size_t files = 0;
    };
    auto run = [&](std::vector<std::string> extra) {
      lpda::test::temp_dir dir;
      const std::string expected = (dir / "expected.ndjson").string();
      std::vector<std::string> args{bin,
                                    "--port",
                                    "0",
                                    "--from",
                                    "2026-03-08T00:00:00Z",
                                    "--hours",
                                    "6",
                                    "--now",
                                    "2026-03-09T00:00:00Z",
                                    "--pregenerate",
                                    "--expected-out",
                                    expected};
      args.insert(args.end(), extra.begin(), extra.end());
      const auto [pid, url] = spawn_emulator(args);
      shape s;
      const auto l = t::signed_get(
          url +
          "/data_access_le/account/12345678/le/agentActivity?startTime=0&endTime=1800000000000");
      CHECK(l.status == 200);
      s.files = parse_listing(l.body).size();
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
      CHECK(WIFEXITED(status));
      const auto rows = t::parse_expected_ndjson(lpda::test::read_file(expected));
      s.rows = rows.size();
      std::map<std::string, std::pair<std::int64_t, std::int64_t>> span;
      for (const auto& r : rows) {
        s.agents.insert(r.agent);
        auto [it, fresh] = span.try_emplace(r.session, r.timestamp, r.timestamp);
        it->second.first = std::min(it->second.first, r.timestamp);
        it->second.second = std::max(it->second.second, r.timestamp);
      }
      for (const auto& [id, se] : span) {
        s.shortest = std::min(s.shortest, se.second - se.first);
        s.longest = std::max(s.longest, se.second - se.first);
      }
      return s;
    };
    const auto preset = run({"--preset", "large-account"});
    CHECK(preset.files == 6);          // one part per hour
    CHECK(preset.agents.size() > 40);  // 200 agents: about 87 sessions in 6 hours
    CHECK(preset.shortest >= 5 * emu::hour_ms);
    CHECK(preset.longest <= 9 * emu::hour_ms);
    CHECK(preset.rows > 6 * 1'000);
    const auto mine =
        run({"--preset", "large-account", "--agents", "20", "--session-hours", "2-3"});
    CHECK(mine.files == 6);
    CHECK(mine.agents.size() <= 20);
    CHECK(mine.agents.size() > 5);
    CHECK(mine.shortest >= 2 * emu::hour_ms);
    CHECK(mine.longest <= 3 * emu::hour_ms);
    const auto plain = run({"--agents", "20"});
    CHECK(plain.agents.size() <= 20);
    CHECK(plain.longest <= 4 * emu::hour_ms + 45 * 60'000);
    CHECK(plain.rows * 4 < mine.rows);  // the preset's event gaps stay: denser than the default
  }
}

TEST_SUITE("integration_emulator") {
  TEST_CASE("the control API refuses peers that are not on loopback") {
    std::string ip;
    ifaddrs* ifs = nullptr;
    REQUIRE(getifaddrs(&ifs) == 0);
    for (auto* i = ifs; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      char buf[INET_ADDRSTRLEN];
      sockaddr_in sin{};
      std::memcpy(&sin, i->ifa_addr, sizeof sin);
      inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
      if (std::string(buf).rfind("127.", 0) != 0) {
        ip = buf;
        break;
      }
    }
    freeifaddrs(ifs);
    if (ip.empty()) {
      MESSAGE("no non-loopback IPv4 address on this machine: nothing to test");
      return;
    }
    auto o = options();
    o.address = "0.0.0.0";
    running r(o);
    const std::string remote = "http://" + ip + ":" + std::to_string(r.srv.port());
    const std::string local = "http://127.0.0.1:" + std::to_string(r.srv.port());
    CHECK(t::request("GET", remote + "/_control/state").status == 403);
    CHECK(t::request("GET", remote + "/_control/now?set=0").status == 403);
    CHECK(r.srv.now_ms() == mar8 + 24 * emu::hour_ms);
    CHECK(t::request("GET", local + "/_control/state").status == 200);
    // The Data Access routes answer any peer (signed for the address it used).
    CHECK(t::signed_get(remote + "/data_access_le/account/12345678/le").status == 200);
  }

  TEST_CASE("malformed-entry corrupts one listing entry as asked and the file stays downloadable") {
    running r(options());
    const std::string u = r.listing(0, mar8 + 48 * emu::hour_ms);
    const auto files = r.srv.files(account);
    REQUIRE(files.size() > 3);
    const auto& target = files[2];
    const std::string clean_body = t::signed_get(u).body;
    rapidjson::Document clean;
    clean.Parse(clean_body.c_str());
    const auto& clean_files = clean["dataAccessFiles"]["file"];
    std::size_t at = clean_files.Size();
    for (rapidjson::SizeType i = 0; i < clean_files.Size(); ++i)
      if (target.name() == clean_files[i]["@name"].GetString()) at = i;
    REQUIRE(at < clean_files.Size());

    for (const std::string kind : {"no-href", "bad-name", "scope-mismatch", "not-object"}) {
      CAPTURE(kind);
      REQUIRE(t::request("GET", r.url + "/_control/malformed-entry?name=" + target.name() +
                                    ".gz&kind=" + kind)
                  .status == 200);
      rapidjson::Document d;
      d.Parse(t::signed_get(u).body.c_str());
      REQUIRE_FALSE(d.HasParseError());
      const auto& fs = d["dataAccessFiles"]["file"];
      REQUIRE(fs.Size() == clean_files.Size());
      for (rapidjson::SizeType i = 0; i < fs.Size(); ++i)
        if (i != at) CHECK((fs[i] == clean_files[i]));  // every other entry untouched
      const auto& e = fs[static_cast<rapidjson::SizeType>(at)];
      if (kind == "not-object") {
        REQUIRE(e.IsString());
        CHECK(target.name() == e.GetString());
        continue;
      }
      REQUIRE(e.IsObject());
      const auto& c = clean_files[static_cast<rapidjson::SizeType>(at)];
      CHECK((e["@scopeEndDate"] == c["@scopeEndDate"]));
      if (kind == "no-href") {
        CHECK_FALSE(e.HasMember("@href"));
        CHECK((e["@name"] == c["@name"]));
        CHECK((e["@scopeStartDate"] == c["@scopeStartDate"]));
      } else if (kind == "bad-name") {
        const std::string n = target.name();
        CHECK(std::string(e["@name"].GetString()) + "-0" == n);
        CHECK((e["@href"] == c["@href"]));
      } else {
        CHECK((e["@name"] == c["@name"]));
        CHECK(std::string(e["@scopeStartDate"].GetString()) ==
              emu::format_new_york(target.scope_start_ms - emu::hour_ms));
      }
    }
    // The file itself is served as always.
    CHECK(t::signed_get(r.href(target)).status == 200);
    CHECK(t::request("GET", r.url + "/_control/malformed-entry?name=x&kind=bogus").status == 400);
    REQUIRE(t::request("GET", r.url + "/_control/malformed-entry?name=").status == 200);
    CHECK(t::signed_get(u).body == clean_body);
    r.srv.set_malformed_entry(target.name(), emu::entry_fault::no_href);
    CHECK(t::signed_get(u).body != clean_body);
  }
}
